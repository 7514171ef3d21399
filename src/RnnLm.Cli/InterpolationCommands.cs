using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RnnLm.Engine;
using RnnLm.Engine.Data;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.NGram;

namespace RnnLm.Cli;

/// <summary>
/// <c>--ngram A.arpa --lambda L</c> for the commands that score or predict: the RNN interpolated with an n-gram model,
/// P = λ·P_rnn + (1 − λ)·P_ngram per token (<see cref="InterpolatedModel"/>).
/// </summary>
internal sealed class NGramInput
{
    public Option<string> NGram { get; } = new("--ngram")
    {
        Description = "ARPA n-gram model (plain or gzip) to interpolate with: P = λ·P_rnn + (1 − λ)·P_ngram per token, over the RNN's vocabulary",
    };

    public Option<double> Lambda { get; } = new("--lambda")
    {
        Description = $"Weight of the RNN in the mixture, from 0 (the n-gram alone) to 1 (the RNN alone); needs --ngram (default {Mixture.DefaultLambda}; rnnlm tune-lambda finds the best)",
        DefaultValueFactory = _ => Mixture.DefaultLambda,
    };

    /// <summary>The mixture the options ask for, or null without <c>--ngram</c>; and its λ.</summary>
    /// <exception cref="CliException">λ is outside [0, 1], or <c>--lambda</c> is given without <c>--ngram</c>.</exception>
    public (InterpolatedModel? Model, double Lambda) Load(ParseResult parse, LanguageModel rnn)
    {
        var lambda = parse.GetValue(Lambda);
        if (!Mixture.IsValidLambda(lambda))
        {
            throw new CliException($"--lambda: {Mixture.LambdaRule}");
        }

        if (parse.GetValue(NGram) is not { } path)
        {
            return parse.GetResult(Lambda) is { Implicit: false } ? throw new CliException("--lambda needs --ngram (the n-gram model to interpolate with).") : (null, 1);
        }

        return (new InterpolatedModel(rnn, ArpaReader.Read(path)), lambda);
    }

    /// <summary>How a line of output names the mixture: <c>, λ 0.5 with brown5.arpa</c>; empty for the RNN alone.</summary>
    public static string Describe(InterpolatedModel? model, double lambda, string? path) =>
        model is null ? "" : $", λ {lambda:0.####} with {Path.GetFileName(path)}";
}

/// <summary><c>rnnlm tune-lambda</c>: the interpolation weight that maximizes the likelihood of a validation text.</summary>
internal static class InterpolationCommands
{
    public static Command TuneLambda()
    {
        var model = Cli.ModelOption();
        var ngram = new Option<string>("--ngram") { Description = "ARPA n-gram model (plain or gzip) to interpolate with", Required = true };
        var text = new Option<string>("--text") { Description = "Validation text: tokenized sentences, one a line", Required = true };
        var threads = Cli.ThreadsOption(Environment.ProcessorCount);
        var json = Cli.JsonOption();
        var command = new Command("tune-lambda", "Choose λ in P = λ·P_rnn + (1 − λ)·P_ngram by the likelihood of a validation text; print it with the perplexities at it and of each model alone")
        {
            model, ngram, text, threads, json,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var mixture = new InterpolatedModel(Cli.LoadModel(parse.GetRequiredValue(model)), ArpaReader.Read(parse.GetRequiredValue(ngram)));
            var components = mixture.CorpusComponents(TextCorpus.Read(parse.GetRequiredValue(text)), parse.GetValue(threads));
            var lambda = components.FitLambda();
            var (best, rnn, alone) = (components.Mix(lambda), components.Mix(1), components.Mix(0));
            var seconds = clock.Elapsed.TotalSeconds;
            if (parse.GetValue(json))
            {
                var figures = Cli.Figures(best, seconds);
                figures.Remove("tokensPerSecond");
                figures["lambda"] = Math.Round(lambda, 6);
                figures["rnnPerplexity"] = Math.Round(rnn.Perplexity, 4);
                figures["ngramPerplexity"] = Math.Round(alone.Perplexity, 4);
                figures["ngram"] = Path.GetFileName(parse.GetRequiredValue(ngram));
                figures["ngramOrder"] = mixture.NGram.Order;
                figures["sharedWords"] = mixture.SharedWords;
                figures["rnnOnlyWords"] = mixture.RnnOnlyWords;
                figures["ngramOnlyWords"] = mixture.NGramOnlyWords;
                Console.WriteLine(JsonSerializer.Serialize(figures));
            }
            else
            {
                Console.WriteLine($"λ {lambda:F4}: {Cli.Describe(best)}");
                Console.WriteLine($"the RNN alone (λ 1): perplexity {rnn.Perplexity:F2}; the {mixture.NGram.Order}-gram alone (λ 0): perplexity {alone.Perplexity:F2}");
                if (mixture.RnnOnlyWords + mixture.NGramOnlyWords > 0)
                {
                    Console.WriteLine($"vocabularies: {mixture.SharedWords:N0} words shared, {mixture.RnnOnlyWords:N0} only the RNN's, {mixture.NGramOnlyWords:N0} only the n-gram's (the n-gram alone is then its distribution folded onto the RNN's vocabulary)");
                }
            }

            return 0;
        });
        return command;
    }
}
