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
        // bench's own recipe (TrainingPresets.Bench): 16 streams at alpha 0.1, every core, a fixed number of epochs.
        var model = new TrainingOptionsBinder(TrainingSettings.Standard, "bench", new Dictionary<string, string> { ["maxEpochs"] = "--epochs" });
        var json = Cli.JsonOption();
        var rescore = new Option<bool>("--rescore") { Description = "Instead of training: n-best rescoring throughput of --model on a synthetic n-best list made from test.txt (tokens/s with 1 and --threads threads, and one 1,000-hypothesis batch)" };
        var rescoreModel = Cli.ModelOption();
        var hypotheses = new Option<int>("--hypotheses") { Description = "With --rescore: hypotheses per utterance", DefaultValueFactory = _ => 10 };
        var utterances = new Option<int>("--utterances") { Description = "With --rescore: how many test sentences become utterances (at most all)", DefaultValueFactory = _ => int.MaxValue };
        var requestOut = new Option<string>("--request-out") { Description = "With --rescore: write the first 100 utterances as a POST /rescore body to this file" };
        var command = new Command("bench", "Train for a fixed number of epochs on Brown and print words/s and perplexity, then scoring speed; or, with --rescore, n-best rescoring speed")
        {
            data, json, rescore, rescoreModel, hypotheses, utterances, requestOut,
        };
        foreach (var option in model.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var directory = Cli.Locate(parse.GetRequiredValue(data));
            if (parse.GetValue(rescore))
            {
                return RescoreBench.Run(
                    Cli.LoadModel(parse.GetRequiredValue(rescoreModel)), TextCorpus.Read(Path.Combine(directory, "test.txt")), parse.GetValue(hypotheses),
                    parse.GetValue(utterances), model.Read(parse).Threads, parse.GetValue(requestOut), parse.GetValue(json));
            }

            var train = TextCorpus.Read(Path.Combine(directory, "train.txt"));
            var valid = TextCorpus.Read(Path.Combine(directory, "valid.txt"));
            var test = TextCorpus.Read(Path.Combine(directory, "test.txt"));
            var options = model.Read(parse);
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
                cell = options.Cell.ToString().ToLowerInvariant(),
                hidden = options.Hidden,
                embedding = options.EmbeddingWidth,
                output = options.Output.ToString().ToLowerInvariant(),
                classes = options.Output == OutputKind.Classes ? options.Classes : 0,
                direct = options.Direct,
                directOrder = options.DirectOrder,
                bptt = options.Bptt,
                bpttBlock = options.BpttBlock,
                streams = options.Streams,
                alpha = options.Alpha,
                optimizer = options.Optimizer.ToString().ToLowerInvariant(),
                dropout = options.Dropout,
                tie = options.Tie,
                noProjection = options.NoProjection,
                threads = options.Threads,
                hogwild = options.Hogwild,
                epochs = result.Epochs,
                trainingSeconds = Math.Round(result.TrainingSeconds, 2),
                wordsPerSecond = Math.Round(result.WordsPerSecond),
                validPerplexity = Math.Round(result.ValidPerplexity, 2),
                testPerplexity = Math.Round(one.Perplexity, 2),
                scoringTokensPerSecond1Thread = Math.Round(one.Tokens / oneSeconds),
                scoringTokensPerSecondAllThreads = Math.Round(all.Tokens / allSeconds),
                // The most memory the process held at once (Linux: VmHWM), training and scoring included.
                peakRssMegabytes = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1e6),
            };
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(summary) : JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }
}
