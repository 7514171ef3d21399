using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RnnLm.Engine.Data;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;
using Spectre.Console;

namespace RnnLm.Cli;

internal static class TrainCommand
{
    /// <param name="catalog">The training settings (<see cref="TrainingSettings.Standard"/> unless a test proves the derivation).</param>
    public static Command Create(TrainingSettings? catalog = null)
    {
        var model = new TrainingOptionsBinder(catalog ?? TrainingSettings.Standard);
        var train = new Option<string>("--train") { Description = "Training text: one tokenized sentence a line", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation text, for the learning-rate schedule; without it, --valid-fraction of the training text is held out" };
        var validFraction = new Option<double?>("--valid-fraction")
        {
            Description = $"Hold out this fraction of the training sentences (chosen by --seed) for validation when --valid is not given; greater than 0 and at most {HeldOut.MaxFraction} [default: {HeldOut.DefaultFraction}]",
        };
        var test = new Option<string?>("--test") { Description = "Optional test text, evaluated at the end and written to the model card" };
        var output = new Option<string>("--out", "-o") { Description = "Where to write the model (a card NAME.json goes beside it)", Required = true };
        var checkpoints = new Option<string?>("--checkpoint-dir") { Description = "Write a checkpoint after every epoch here" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --checkpoint-dir" };
        var json = Cli.JsonOption();
        var command = new Command("train", "Train a model with SGD and truncated BPTT") { train, valid, validFraction, test, output };
        foreach (var option in model.Options.Concat<Option>([checkpoints, resume, json]))
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var options = model.Read(parse);
            var run = new TrainingRun(
                parse.GetRequiredValue(train), parse.GetValue(valid), parse.GetValue(validFraction), parse.GetValue(test), parse.GetRequiredValue(output),
                parse.GetValue(checkpoints), parse.GetValue(resume), parse.GetValue(json), "rnnlm " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
            return Execute(options, run);
        });
        return command;
    }

    internal sealed record TrainingRun(string Train, string? Valid, double? ValidFraction, string? Test, string Output, string? Checkpoints, bool Resume, bool Json, string CommandLine);

    internal static int Execute(TrainingOptions options, TrainingRun run)
    {
        options.Validate();
        var (train, valid, validation) = ReadTexts(run, options.Seed);
        var test = run.Test is null ? null : TextCorpus.Read(run.Test);
        // Wall time from here to the end of each epoch's validation: how long a run takes to reach a perplexity.
        var clock = Stopwatch.StartNew();
        var epochSeconds = new List<double>();
        var result = WithProgress(run.Json, report => new Trainer(options, p =>
        {
            if (p.EpochDone)
            {
                epochSeconds.Add(Math.Round(clock.Elapsed.TotalSeconds, 2));
            }

            report(p);
        }).Train(train, valid, run.Checkpoints, run.Resume));

        var model = result.Model;
        var (card, scores) = ModelPublisher.Publish(result, options, new TrainingTexts(train, valid, test), run.Output, new PublishedAs(
            Path.GetFileNameWithoutExtension(run.Output), $"{Path.GetFileName(run.Train)} ({train.Count:N0} sentences), valid {validation}", run.CommandLine));
        var (trainScore, validScore, testScore) = scores;

        var summary = new
        {
            model = run.Output,
            epochs = result.Epochs,
            seconds = Math.Round(result.Seconds, 2),
            trainingSeconds = Math.Round(result.TrainingSeconds, 2),
            wordsPerSecond = Math.Round(result.WordsPerSecond),
            validPerplexity = Math.Round(validScore.Perplexity, 3),
            validPerplexityPerEpoch = result.ValidPerplexityPerEpoch.Select(p => Math.Round(p, 3)),
            secondsAtEpochEnd = epochSeconds,
            trainPerplexity = Math.Round(trainScore.Perplexity, 3),
            testPerplexity = testScore is null ? (double?)null : Math.Round(testScore.Perplexity, 3),
            parameters = model.Shape.ParameterCount,
            sha256 = card.Sha256,
        };
        if (run.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(summary));
        }
        else
        {
            Console.WriteLine($"saved {run.Output} ({card.FileBytes:N0} bytes) and {ModelCard.PathFor(run.Output)}");
            Console.WriteLine($"epochs {result.Epochs}, {result.Seconds:F1} s, {result.WordsPerSecond:N0} words/s; perplexity train {trainScore.Perplexity:F2}, valid {validScore.Perplexity:F2}"
                + (testScore is null ? "" : $", test {testScore.Perplexity:F2}"));
        }

        return 0;
    }

    /// <summary>The training and validation sentences: the two files, or the training file with a seeded fraction held out of it.</summary>
    private static (IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid, string Validation) ReadTexts(TrainingRun run, int seed)
    {
        var train = TextCorpus.Read(run.Train);
        if (run.Valid is { } valid)
        {
            return run.ValidFraction is null
                ? (train, TextCorpus.Read(valid), Path.GetFileName(valid))
                : throw new ArgumentException("Give --valid or --valid-fraction, not both.");
        }

        var fraction = run.ValidFraction ?? HeldOut.DefaultFraction;
        if (HeldOut.Check(fraction) is { } problem)
        {
            throw new ArgumentException($"--valid-fraction: {problem} Got {fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }

        var (kept, held) = HeldOut.Split(train, fraction, seed);
        return (kept, held, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"held out {fraction * 100:0.##}% of {Path.GetFileName(run.Train)} ({held.Count:N0} sentences)"));
    }

    /// <summary>Runs training with a progress bar on a terminal, or plain log lines on standard error otherwise.</summary>
    private static TrainingResult WithProgress(bool json, Func<Action<TrainingProgress>, TrainingResult> train)
    {
        if (json || Console.IsOutputRedirected || Console.IsErrorRedirected)
        {
            var lastLine = DateTime.MinValue;
            return train(p =>
            {
                if (p.EpochDone || DateTime.UtcNow - lastLine > TimeSpan.FromSeconds(10))
                {
                    lastLine = DateTime.UtcNow;
                    Console.Error.WriteLine(Describe(p));
                }
            });
        }

        TrainingResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask? task = null;
                result = train(p =>
                {
                    if (task is null || task.Description != $"epoch {p.Epoch}")
                    {
                        task = context.AddTask($"epoch {p.Epoch}", maxValue: 1.0);
                    }

                    task.Value = p.Fraction;
                    if (p.EpochDone)
                    {
                        task.Value = 1.0;
                        AnsiConsole.MarkupLine(Markup.Escape(Describe(p)));
                    }
                });
            });
        return result!;
    }

    private static string Describe(TrainingProgress p) => p.EpochDone
        ? $"epoch {p.Epoch} done: {p.WordsPerSecond:N0} words/s, train entropy {p.TrainEntropy:F3} bits, valid perplexity {p.ValidPerplexity[^1]:F2}, alpha {p.Alpha:G4}"
        : $"epoch {p.Epoch} {p.Fraction:P0}: {p.WordsPerSecond:N0} words/s, train entropy {p.TrainEntropy:F3} bits, alpha {p.Alpha:G4}, eta {p.Eta:mm\\:ss}";
}
