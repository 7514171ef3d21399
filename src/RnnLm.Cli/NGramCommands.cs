using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.NGram;
using RnnLm.Engine.Training;

namespace RnnLm.Cli;

/// <summary>The n-gram baseline: estimate a modified Kneser-Ney model into an ARPA file, and score a text with one.</summary>
internal static class NGramCommands
{
    public static Command Train()
    {
        var train = new Option<string>("--train") { Description = "Tokenized training sentences, one a line", Required = true };
        var order = new Option<int>("--order") { Description = $"Order N (1 to {KneserNeyEstimator.MaxOrder})", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out") { Description = "ARPA file to write (gzip-compressed when it ends in .gz)", Required = true };
        var minCount = new Option<int>("--min-count") { Description = "Words seen fewer times become <unk>, as for the RNN models", DefaultValueFactory = _ => new TrainingOptions().MinCount };
        var json = Cli.JsonOption();
        var command = new Command("ngram", "Estimate an interpolated modified Kneser-Ney n-gram model (KenLM lmplz's defaults) and write it as ARPA")
        {
            train, order, output, minCount, json,
        };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(order);
            if (n is < 1 or > KneserNeyEstimator.MaxOrder)
            {
                throw new CliException($"--order must be between 1 and {KneserNeyEstimator.MaxOrder}.");
            }

            if (parse.GetValue(minCount) < 1)
            {
                throw new CliException("--min-count must be at least 1.");
            }

            var clock = Stopwatch.StartNew();
            var sentences = TextCorpus.Read(parse.GetRequiredValue(train));
            var estimate = KneserNeyEstimator.Estimate(sentences, n, parse.GetValue(minCount));
            var estimated = clock.Elapsed.TotalSeconds;
            ArpaWriter.Write(estimate, parse.GetRequiredValue(output));
            var seconds = clock.Elapsed.TotalSeconds;
            var counts = estimate.Entries.Select(e => e.Count).ToArray();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    order = n,
                    counts,
                    discounts = estimate.Discounts.Select(d => new[] { d.D1, d.D2, d.D3Plus }),
                    vocabulary = estimate.Words.Count - 1,
                    estimateSeconds = Math.Round(estimated, 3),
                    seconds = Math.Round(seconds, 3),
                }));
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    var d = estimate.Discounts[i];
                    Console.WriteLine($"{i + 1}-grams {counts[i],10:N0}  discounts {d.D1:F4} {d.D2:F4} {d.D3Plus:F4}");
                }

                Console.WriteLine($"estimated in {estimated:F2} s, written in {seconds - estimated:F2} s");
            }

            return 0;
        });
        return command;
    }

    public static Command Eval()
    {
        var arpa = new Option<string>("--arpa") { Description = "ARPA model (plain or gzip)", Required = true };
        var text = new Option<string>("--text") { Description = "Tokenized sentences, one a line", Required = true };
        var json = Cli.JsonOption();
        var command = new Command("ngram-eval", "Perplexity of an ARPA n-gram model on a text, counted as eval counts it (sentences independent, </s> predicted)")
        {
            arpa, text, json,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var model = ArpaReader.Read(parse.GetRequiredValue(arpa));
            var loaded = clock.Elapsed.TotalSeconds;
            var sentences = TextCorpus.Read(parse.GetRequiredValue(text));
            clock.Restart();
            var result = model.ScoreCorpus(sentences);
            var seconds = clock.Elapsed.TotalSeconds;
            if (parse.GetValue(json))
            {
                var figures = Cli.Figures(result, seconds);
                figures["order"] = model.Order;
                figures["loadSeconds"] = Math.Round(loaded, 3);
                Console.WriteLine(JsonSerializer.Serialize(figures));
            }
            else
            {
                Console.WriteLine($"{Cli.Describe(result)}, {model.Order}-gram model loaded in {loaded:F2} s, {result.Tokens / seconds:N0} tokens/s");
            }

            return 0;
        });
        return command;
    }
}
