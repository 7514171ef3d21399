using RnnLm.Engine.Model;

namespace RnnLm.Engine.Inference;

/// <summary>Continues a prefix by sampling one word at a time from the model's next-word distribution.</summary>
internal static class Sampler
{
    /// <exception cref="ArgumentOutOfRangeException">A sampling option is out of range.</exception>
    public static Generation Generate(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<string> prefix, SamplingOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTokens, 0);
        ArgumentOutOfRangeException.ThrowIfNegative(options.TopK);
        if (!(options.Temperature > 0) || double.IsInfinity(options.Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Temperature must be a positive number.");
        }

        var random = new Random(options.Seed);
        var context = vocabulary.Map(prefix);
        var seen = context.Select(id => vocabulary[id]).ToArray();
        var generated = new List<WordProbability>();
        var probabilities = new float[vocabulary.Count];
        var weights = new double[vocabulary.Count];
        var all = options.TopK == 0 || options.TopK >= probabilities.Length ? Enumerable.Range(0, probabilities.Length).ToArray() : null;
        using var lease = sessions.Rent();
        var session = lease.Session;
        session.Follow(context);
        for (var n = 0; n < options.MaxTokens; n++)
        {
            session.Distribution(probabilities);
            var chosen = Draw(probabilities, all ?? TopK.Ids(probabilities, options.TopK), weights, options.Temperature, random);
            generated.Add(new WordProbability(vocabulary[chosen], probabilities[chosen]));
            if (chosen == vocabulary.EndOfSentence)
            {
                return new Generation(seen, generated, true);
            }

            session.Advance(chosen);
        }

        return new Generation(seen, generated, false);
    }

    // One id among the candidates, drawn with weight p^(1/T); weights is scratch at least as long as the candidates.
    private static int Draw(ReadOnlySpan<float> probabilities, int[] candidates, double[] weights, double temperature, Random random)
    {
        // p^(1/T), taken relative to the largest p so that small temperatures do not underflow to all zeros.
        var best = float.Epsilon;
        foreach (var id in candidates)
        {
            best = Math.Max(best, probabilities[id]);
        }

        var logBest = Math.Log(best);
        double total = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            var logP = Math.Log(Math.Max(probabilities[candidates[i]], float.Epsilon));
            weights[i] = Math.Exp((logP - logBest) / temperature);
            total += weights[i];
        }

        var draw = random.NextDouble() * total;
        for (var i = 0; i < candidates.Length; i++)
        {
            draw -= weights[i];
            if (draw < 0)
            {
                return candidates[i];
            }
        }

        return candidates[^1];
    }
}
