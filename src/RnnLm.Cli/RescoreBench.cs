using System.Diagnostics;
using System.Text.Json;
using RnnLm.Engine;
using RnnLm.Engine.Rescoring;

namespace RnnLm.Cli;

/// <summary>
/// <c>rnnlm bench --rescore</c>: rescoring throughput on a synthetic n-best list made from Brown test sentences: each sentence
/// an utterance, its first hypothesis the sentence itself and the others copies with one word dropped, replaced or swapped with
/// its neighbour (a fixed seed: the same list every run), each with a made-up acoustic score.
/// </summary>
internal static class RescoreBench
{
    /// <summary>The size of the one-request figure: 100 utterances of 10 hypotheses.</summary>
    private const int RequestUtterances = 100;

    public static int Run(LanguageModel model, IReadOnlyList<string[]> test, int hypotheses, int utterances, int threads, string? requestOut, bool json)
    {
        if (hypotheses < 1 || utterances < RequestUtterances)
        {
            throw new CliException($"--hypotheses must be at least 1 and --utterances at least {RequestUtterances}.");
        }

        var nbest = Synthetic(test, hypotheses, Math.Min(utterances, test.Count));
        var weights = new RescoringWeights { Scores = new Dictionary<string, double> { ["acoustic"] = 0.1 } };
        var request = nbest.Take(RequestUtterances).ToArray();
        if (requestOut is not null)
        {
            // The same 100 utterances as a POST /rescore body, to time one request over HTTP.
            var body = new
            {
                utterances = request.Select(u => new { id = u.Id, hypotheses = u.Hypotheses.Select(h => new { tokens = h.Tokens, scores = h.Scores }) }),
                weights = new { scores = weights.Scores },
            };
            File.WriteAllText(requestOut, JsonSerializer.Serialize(body));
        }

        Rescorer.Rescore(model, [.. nbest.Take(50)], weights, threads); // every kernel compiled before the clock starts
        var tokens = nbest.Sum(u => u.Hypotheses.Sum(h => (long)h.Tokens.Count + 1));
        var one = Time(() => Rescorer.Rescore(model, nbest, weights, 1));
        var all = Time(() => Rescorer.Rescore(model, nbest, weights, threads));
        var requestSeconds = Enumerable.Range(0, 5).Select(_ => Time(() => Rescorer.Rescore(model, request, weights, threads))).Order().ToArray();
        var summary = new
        {
            utterances = nbest.Count,
            hypotheses = nbest.Sum(u => u.Hypotheses.Count),
            tokens,
            threads,
            seconds1Thread = Math.Round(one, 3),
            tokensPerSecond1Thread = Math.Round(tokens / one),
            secondsAllThreads = Math.Round(all, 3),
            tokensPerSecondAllThreads = Math.Round(tokens / all),
            hypothesesPerSecondAllThreads = Math.Round(nbest.Sum(u => u.Hypotheses.Count) / all),
            // One request's worth (100 utterances × 10 hypotheses here when --hypotheses is 10), engine only: median of 5.
            requestHypotheses = request.Sum(u => u.Hypotheses.Count),
            requestMilliseconds = Math.Round(requestSeconds[2] * 1000, 1),
            peakRssMegabytes = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1e6),
        };
        Console.WriteLine(json ? JsonSerializer.Serialize(summary) : JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>The synthetic n-best list: <paramref name="count"/> sentences, <paramref name="hypotheses"/> hypotheses each.</summary>
    public static IReadOnlyList<Utterance> Synthetic(IReadOnlyList<string[]> sentences, int hypotheses, int count)
    {
        var random = new Random(15);
        var utterances = new Utterance[count];
        for (var u = 0; u < count; u++)
        {
            var words = sentences[u];
            var list = new Hypothesis[hypotheses];
            for (var h = 0; h < hypotheses; h++)
            {
                var edited = h == 0 ? words : Edit(words, sentences[random.Next(sentences.Count)], random);
                list[h] = new Hypothesis(edited, new Dictionary<string, double> { ["acoustic"] = Math.Round(-20 * edited.Length - (5 * random.NextDouble()), 2) });
            }

            utterances[u] = new Utterance($"test-{u + 1}", list);
        }

        return utterances;
    }

    private static string[] Edit(string[] words, string[] other, Random random)
    {
        var at = random.Next(words.Length);
        return random.Next(3) switch
        {
            0 when words.Length > 1 => [.. words[..at], .. words[(at + 1)..]],
            1 when at + 1 < words.Length => [.. words[..at], words[at + 1], words[at], .. words[(at + 2)..]],
            _ => [.. words[..at], other[random.Next(other.Length)], .. words[(at + 1)..]],
        };
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
