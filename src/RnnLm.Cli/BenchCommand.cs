using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Cli;

/// <summary>Whole-run speed: training words/s and perplexity after a fixed number of epochs, then scoring tokens/s.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Directory with train.txt, valid.txt, test.txt", DefaultValueFactory = _ => "data/brown" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 100, Description = "Hidden width" };
        var kind = new Option<OutputKind>("--output") { DefaultValueFactory = _ => OutputKind.Classes, Description = "full or classes" };
        var classes = new Option<int>("--classes") { DefaultValueFactory = _ => 100, Description = "Classes" };
        var bptt = new Option<int>("--bptt") { DefaultValueFactory = _ => 4, Description = "BPTT steps" };
        var block = new Option<int>("--bptt-block") { DefaultValueFactory = _ => 10, Description = "Words per update" };
        var streams = new Option<int>("--streams") { DefaultValueFactory = _ => 16, Description = "Sentence streams (batch)" };
        var alpha = new Option<double>("--alpha") { DefaultValueFactory = _ => 0.1, Description = "Learning rate" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1, Description = "Epochs to train (fixed: no early stop)" };
        var threads = Cli.ThreadsOption(Environment.ProcessorCount);
        var json = Cli.JsonOption();
        var command = new Command("bench", "Train for a fixed number of epochs on Brown and print words/s and perplexity, then scoring speed")
        {
            data, hidden, kind, classes, bptt, block, streams, alpha, epochs, threads, json,
        };
        command.SetAction(parse =>
        {
            var directory = Cli.Locate(parse.GetRequiredValue(data));
            var train = TextCorpus.Read(Path.Combine(directory, "train.txt"));
            var valid = TextCorpus.Read(Path.Combine(directory, "valid.txt"));
            var test = TextCorpus.Read(Path.Combine(directory, "test.txt"));
            var options = new TrainingOptions
            {
                Hidden = parse.GetValue(hidden),
                Embedding = parse.GetValue(hidden),
                Output = parse.GetValue(kind),
                Classes = parse.GetValue(classes),
                Bptt = parse.GetValue(bptt),
                BpttBlock = parse.GetValue(block),
                Streams = parse.GetValue(streams),
                Alpha = parse.GetValue(alpha),
                MaxEpochs = parse.GetValue(epochs),
                MinImprovement = 1.0,
                Threads = parse.GetValue(threads),
            };
            var result = new Trainer(options, p =>
            {
                if (p.EpochDone)
                {
                    Console.Error.WriteLine($"epoch {p.Epoch}: {p.WordsPerSecond:N0} words/s, valid perplexity {p.ValidPerplexity[^1]:F2}");
                }
            }).Train(train, valid);

            var clock = Stopwatch.StartNew();
            var one = result.Model.ScoreCorpus(test, 1);
            var oneSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var all = result.Model.ScoreCorpus(test, options.Threads);
            var allSeconds = clock.Elapsed.TotalSeconds;
            var summary = new
            {
                options.Hidden,
                output = options.Output.ToString().ToLowerInvariant(),
                options.Classes,
                options.Bptt,
                options.BpttBlock,
                options.Streams,
                options.Threads,
                epochs = result.Epochs,
                trainingSeconds = Math.Round(result.TrainingSeconds, 2),
                wordsPerSecond = Math.Round(result.WordsPerSecond),
                validPerplexity = Math.Round(result.ValidPerplexity, 2),
                testPerplexity = Math.Round(one.Perplexity, 2),
                scoringTokensPerSecond1Thread = Math.Round(one.Tokens / oneSeconds),
                scoringTokensPerSecondAllThreads = Math.Round(all.Tokens / allSeconds),
            };
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(summary) : JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }
}
