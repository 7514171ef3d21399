using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using RnnLm.Engine;
using RnnLm.Engine.Rescoring;

namespace RnnLm.Cli;

/// <summary><c>rnnlm rescore --nbest F</c>: re-rank n-best lists by the RNN (or its mixture with an n-gram) and the first pass's scores.</summary>
internal static class RescoreCommand
{
    private static readonly Dictionary<string, NBestFormat> Formats = new(StringComparer.Ordinal)
    {
        ["auto"] = NBestFormat.Auto,
        ["rnnlm"] = NBestFormat.Rnnlm,
        ["kaldi"] = NBestFormat.Kaldi,
        ["jsonl"] = NBestFormat.JsonLines,
    };

    /// <summary>How rescoring results are written as JSON: camelCase, the n-gram component only where there is one.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static Command Create()
    {
        var model = Cli.ModelOption();
        var nbest = new Option<string>("--nbest") { Description = "The n-best lists: rnnlm's -nbest format ('ID word word ...', an utterance's lines consecutive), Kaldi's ('UTT-N word ...') or JSON Lines (one utterance a line, as in POST /rescore)", Required = true };
        var format = new Option<string>("--format") { Description = "auto (JSON Lines when the first line starts with '{', else rnnlm), rnnlm, kaldi or jsonl", DefaultValueFactory = _ => "auto" };
        var lmWeight = new Option<double>("--lm-weight") { Description = "Weight of the language model's natural-log probability in the combined score", DefaultValueFactory = _ => 1 };
        var penalty = new Option<double>("--word-insertion-penalty", "--wip") { Description = "Added to the combined score once per word (</s> not counted)", DefaultValueFactory = _ => 0 };
        var weights = new Option<string[]>("--weight") { Description = $"NAME=W: the weight of the first-pass score NAME (JSON Lines 'scores'); a score not named counts with weight {RescoringWeights.DefaultScoreWeight}. Repeat for each score" };
        var all = new Option<bool>("--all") { Description = "Write every hypothesis, re-ranked, instead of the best of each utterance" };
        var json = new Option<bool>("--json") { Description = "Write one JSON object per utterance (JSON Lines), with every figure" };
        var threads = Cli.ThreadsOption(Environment.ProcessorCount);
        var ngram = new NGramInput();
        var command = new Command("rescore", "Re-rank n-best lists: combined = Σ w_k·score_k + lm-weight·ln P(words </s>) + wip·words, best first")
        {
            nbest, model, format, lmWeight, penalty, weights, all, json, threads, ngram.NGram, ngram.Lambda,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(nbest);
            var input = NBestFile.Read(path, Formats.TryGetValue(parse.GetRequiredValue(format), out var chosen)
                ? chosen
                : throw new CliException($"--format: '{parse.GetRequiredValue(format)}' is not one of {string.Join(", ", Formats.Keys.SkipLast(1))} or {Formats.Keys.Last()}."));
            var rescoring = new RescoringWeights
            {
                Lm = parse.GetValue(lmWeight),
                WordInsertionPenalty = parse.GetValue(penalty),
                Scores = ScoreWeights(parse.GetValue(weights) ?? []),
            };
            if (Rescorer.Check(input.Utterances, rescoring).FirstOrDefault() is { } problem)
            {
                throw new CliException(Where(problem, input, Path.GetFileName(path)));
            }

            var lm = Cli.LoadModel(parse.GetRequiredValue(model));
            var (mixture, lambda) = ngram.Load(parse, lm);
            var clock = Stopwatch.StartNew();
            var results = mixture is null
                ? Rescorer.Rescore(lm, input.Utterances, rescoring, parse.GetValue(threads))
                : Rescorer.Rescore(mixture, lambda, input.Utterances, rescoring, parse.GetValue(threads));
            var seconds = clock.Elapsed.TotalSeconds;
            Write(results, parse.GetValue(all), parse.GetValue(json));
            var hypotheses = results.Sum(u => u.Hypotheses.Count);
            var tokens = results.Sum(u => u.Hypotheses.Sum(h => h.WordCount + 1));
            Console.Error.WriteLine($"rescored {results.Count:N0} utterances, {hypotheses:N0} hypotheses ({tokens:N0} tokens, </s> included) in {seconds:F3} s"
                + NGramInput.Describe(mixture, lambda, parse.GetValue(ngram.NGram)));
            return 0;
        });
        return command;
    }

    /// <summary>One line per utterance: <c>ID words</c> of the best; with <c>--all</c> one per hypothesis: <c>ID rank index combined lmLogProb words</c>.</summary>
    private static void Write(IReadOnlyList<RescoredUtterance> results, bool all, bool json)
    {
        var output = Console.Out;
        foreach (var utterance in results)
        {
            var shown = all ? utterance.Hypotheses : [utterance.Best];
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(new { id = utterance.Id, hypotheses = shown.Select(Figures) }, Json));
                continue;
            }

            foreach (var h in shown)
            {
                output.WriteLine(all
                    ? string.Create(CultureInfo.InvariantCulture, $"{utterance.Id} {h.Rank} {h.Index} {h.Combined:F4} {h.LmLogProb:F4} {string.Join(' ', h.Tokens)}")
                    : $"{utterance.Id} {string.Join(' ', h.Tokens)}");
            }
        }
    }

    /// <summary>A hypothesis as the JSON output shows it: the fields of POST /rescore's answer.</summary>
    public static object Figures(RescoredHypothesis h) => new
    {
        index = h.Index,
        rank = h.Rank,
        tokens = h.Tokens,
        wordCount = h.WordCount,
        unknownCount = h.UnknownCount,
        rnnLogProb = h.RnnLogProb,
        ngramLogProb = h.NGramLogProb,
        lmLogProb = h.LmLogProb,
        combined = h.Combined,
        scores = h.Scores,
    };

    private static Dictionary<string, double> ScoreWeights(string[] given)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in given)
        {
            var equals = item.LastIndexOf('=');
            if (equals <= 0 || !double.TryParse(item[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
            {
                throw new CliException($"--weight '{item}': give NAME=W, W a number (for example acoustic=0.0833).");
            }

            if (!weights.TryAdd(item[..equals], weight))
            {
                throw new CliException($"--weight: '{item[..equals]}' is given twice.");
            }
        }

        return weights;
    }

    // A problem of the input as one line: the file and line for an utterance's, the option for a weight's.
    private static string Where(RescoringProblem problem, NBestInput input, string name) => problem.Field switch
    {
        "weights.lm" => $"--lm-weight: {problem.Message}",
        "weights.wordInsertionPenalty" => $"--word-insertion-penalty: {problem.Message}",
        var field when field.StartsWith("weights.scores.", StringComparison.Ordinal) => $"--weight {field["weights.scores.".Length..]}: {problem.Message}",
        _ => $"{name}:{input.LineOf(problem)}: {problem.Field}: {problem.Message}",
    };
}
