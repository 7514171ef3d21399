using System.CommandLine;
using RnnLm.Cli;

// The `rnnlm` command: a thin shell over the engine. Every failure a user can cause ends in one line on
// standard error and a non-zero exit code, never a stack trace.
var root = new RootCommand("RnnLm: train, evaluate and query recurrent neural network language models.")
{
    DataCommands.PrepareBrown(),
    DataCommands.PrepareText(),
    TrainCommand.Create(),
    QueryCommands.Eval(),
    QueryCommands.Score(),
    QueryCommands.Next(),
    QueryCommands.Generate(),
    StreamCommand.Create(),
    NGramCommands.Train(),
    NGramCommands.Eval(),
    InterpolationCommands.TuneLambda(),
    RescoreCommand.Create(),
    BenchCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    Console.Error.WriteLine($"rnnlm: {parse.Errors[0].Message} (see rnnlm --help)");
    return 2;
}

try
{
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (Cli.IsUserError(e))
{
    Console.Error.WriteLine($"rnnlm: {Cli.OneLine(e)}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("rnnlm: cancelled");
    return 130;
}
