using System.Runtime.InteropServices;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.NGram;

/// <summary>
/// Estimates an interpolated modified Kneser-Ney model (Chen &amp; Goodman 1998) with the choices of KenLM's <c>lmplz</c>:
/// three discounts per order from the count-of-counts of the adjusted counts, no pruning, every order interpolated
/// with the next lower one and the unigrams with the uniform distribution over the vocabulary.
/// </summary>
/// <remarks>
/// Each sentence is <c>&lt;s&gt; w1 … wk &lt;/s&gt;</c>: <c>&lt;s&gt;</c> is context only (one of it, whatever the order), <c>&lt;/s&gt;</c>
/// is predicted, words outside the vocabulary become <c>&lt;unk&gt;</c>, an ordinary word. Adjusted counts: the highest order
/// keeps raw counts; a lower-order n-gram counts its distinct left extensions, except one that starts with
/// <c>&lt;s&gt;</c>, which has no left extension and keeps its raw count. The whole estimate is held in memory.
/// </remarks>
public static class KneserNeyEstimator
{
    /// <summary>Highest order accepted.</summary>
    public const int MaxOrder = Gram.MaxOrder;

    /// <summary>The log10 probability written for <c>&lt;s&gt;</c>, which is never predicted (the ARPA convention).</summary>
    public const double StartLogProb = -99;

    /// <summary>Builds the vocabulary as the RNN trainer does (words seen at least <paramref name="minCount"/> times) and estimates the model.</summary>
    /// <exception cref="ArgumentException">The text is empty, or the order or minimum count is out of range.</exception>
    /// <exception cref="InvalidDataException">An order's discounts are undefined: the text is too small for that order.</exception>
    public static NGramEstimate Estimate(IReadOnlyList<IReadOnlyList<string>> sentences, int order, int minCount) =>
        Estimate(sentences, order, Vocabulary.Build(sentences, minCount));

    /// <summary>Estimates an order-<paramref name="order"/> model of <paramref name="sentences"/> over <paramref name="vocabulary"/>.</summary>
    /// <exception cref="ArgumentException">The order is out of range or the vocabulary too large.</exception>
    /// <exception cref="InvalidDataException">An order's discounts are undefined: the text is too small for that order.</exception>
    public static NGramEstimate Estimate(IEnumerable<IReadOnlyList<string>> sentences, int order, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        if (vocabulary.Count >= Gram.MaxId - 1)
        {
            throw new ArgumentException($"The vocabulary has {vocabulary.Count:N0} words; at most {Gram.MaxId - 2:N0} fit.", nameof(vocabulary));
        }

        var start = vocabulary.Count;
        var adjusted = AdjustedCounts(RawCounts(sentences, order, vocabulary), start);
        foreach (var id in Enumerable.Range(0, vocabulary.Count))
        {
            // A vocabulary word never seen (only <unk> can be) still gets the uniform share of the unigram back-off mass.
            adjusted[0].TryAdd(Gram.Of([id]), 0);
        }

        var countOfCounts = adjusted.Select(CountOfCounts).ToArray();
        var discounts = countOfCounts.Select((n, i) => Discounts.FromCountOfCounts(n, i + 1)).ToArray();
        var probabilities = new Dictionary<Gram, double>[order];
        var backoffs = new Dictionary<Gram, double>();
        for (var n = 1; n <= order; n++)
        {
            probabilities[n - 1] = Interpolate(adjusted[n - 1], discounts[n - 1], n == 1 ? null : probabilities[n - 2], 1.0 / vocabulary.Count, backoffs);
        }

        string[] words = [.. vocabulary.Words, Vocabulary.StartOfSentenceToken];
        var entries = new IReadOnlyList<NGramEntry>[order];
        for (var n = 1; n <= order; n++)
        {
            var list = probabilities[n - 1].Select(p => Entry(p.Key, Math.Log10(p.Value), backoffs)).ToList();
            if (n == 1)
            {
                list.Add(Entry(Gram.Of([start]), StartLogProb, backoffs));
            }

            if (n == 1)
            {
                // Unigrams in id order, most frequent first; higher orders in the order they were first counted, which is
                // deterministic for a given text (KenLM, too, lists them by first appearance rather than sorted).
                list.Sort(static (a, b) => a.Ids[0].CompareTo(b.Ids[0]));
            }

            entries[n - 1] = list;
        }

        return new NGramEstimate(words, entries, countOfCounts, discounts);
    }

    /// <summary>Raw counts of every n-gram, n = 1..order, that ends on a predicted token (a word or <c>&lt;/s&gt;</c>).</summary>
    private static Dictionary<Gram, long>[] RawCounts(IEnumerable<IReadOnlyList<string>> sentences, int order, Vocabulary vocabulary)
    {
        var counts = Enumerable.Range(0, order).Select(_ => new Dictionary<Gram, long>()).ToArray();
        var ids = new List<int>();
        foreach (var sentence in sentences)
        {
            ids.Clear();
            ids.Add(vocabulary.Count);
            foreach (var token in sentence)
            {
                ids.Add(vocabulary.IdOf(token));
            }

            ids.Add(vocabulary.EndOfSentence);
            var span = CollectionsMarshal.AsSpan(ids);
            for (var i = 1; i < span.Length; i++)
            {
                for (var n = 1; n <= Math.Min(order, i + 1); n++)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(counts[n - 1], Gram.Of(span[(i - n + 1)..(i + 1)]), out _)++;
                }
            }
        }

        return counts;
    }

    /// <summary>
    /// The highest order's raw counts as they are; below it, each n-gram's number of distinct one-word left extensions
    /// (one per distinct (n+1)-gram that ends with it), or its raw count when it starts with <c>&lt;s&gt;</c>.
    /// </summary>
    private static Dictionary<Gram, long>[] AdjustedCounts(Dictionary<Gram, long>[] raw, int start)
    {
        var adjusted = new Dictionary<Gram, long>[raw.Length];
        adjusted[^1] = raw[^1];
        Span<int> ids = stackalloc int[Gram.MaxOrder];
        for (var n = raw.Length - 1; n >= 1; n--)
        {
            var counts = new Dictionary<Gram, long>(raw[n - 1].Count);
            foreach (var (gram, count) in raw[n - 1])
            {
                if (gram.First == start)
                {
                    counts.Add(gram, count);
                }
            }

            foreach (var gram in raw[n].Keys)
            {
                var length = gram.CopyTo(ids);
                CollectionsMarshal.GetValueRefOrAddDefault(counts, Gram.Of(ids[1..length]), out _)++;
            }

            adjusted[n - 1] = counts;
        }

        return adjusted;
    }

    /// <summary>n1..n4 of one order's adjusted counts.</summary>
    private static long[] CountOfCounts(Dictionary<Gram, long> counts)
    {
        var n = new long[4];
        foreach (var count in counts.Values)
        {
            if (count is >= 1 and <= 4)
            {
                n[count - 1]++;
            }
        }

        return n;
    }

    /// <summary>
    /// p(w | h) = (a(hw) − D(a(hw))) / a(h·) + γ(h)·p(w | h′), with γ(h) = (D1·N1(h·) + D2·N2(h·) + D3+·N3+(h·)) / a(h·) and h′ = h less
    /// its first word; below the unigrams p is <paramref name="uniform"/>. Records γ(h) in <paramref name="backoffs"/> under h.
    /// </summary>
    private static Dictionary<Gram, double> Interpolate(Dictionary<Gram, long> counts, Discounts discounts, Dictionary<Gram, double>? lower, double uniform, Dictionary<Gram, double> backoffs)
    {
        Span<int> ids = stackalloc int[Gram.MaxOrder];
        var contexts = new Dictionary<Gram, ContextMass>();
        foreach (var (gram, count) in counts)
        {
            var length = gram.CopyTo(ids);
            ref var mass = ref CollectionsMarshal.GetValueRefOrAddDefault(contexts, Gram.Of(ids[..(length - 1)]), out _);
            mass.Total += count;
            mass.Discounted += discounts.For(count);
        }

        var probabilities = new Dictionary<Gram, double>(counts.Count);
        foreach (var (gram, count) in counts)
        {
            var length = gram.CopyTo(ids);
            var mass = contexts[Gram.Of(ids[..(length - 1)])];
            var lowerProbability = lower is null ? uniform : lower[Gram.Of(ids[1..length])];
            var gamma = mass.Discounted / mass.Total;
            probabilities.Add(gram, ((count - discounts.For(count)) / mass.Total) + (gamma * lowerProbability));
        }

        foreach (var (context, mass) in contexts)
        {
            if (context != default)
            {
                backoffs[context] = mass.Discounted / mass.Total;
            }
        }

        return probabilities;
    }

    private static NGramEntry Entry(Gram gram, double logProb, Dictionary<Gram, double> backoffs)
    {
        Span<int> ids = stackalloc int[Gram.MaxOrder];
        var length = gram.CopyTo(ids);
        return new NGramEntry(ids[..length].ToArray(), logProb, backoffs.TryGetValue(gram, out var gamma) ? Math.Log10(gamma) : 0);
    }

    /// <summary>What a context's continuations add up to: the total adjusted count a(h·) and the discount mass D1·N1 + D2·N2 + D3+·N3+.</summary>
    private struct ContextMass
    {
        public long Total;
        public double Discounted;
    }
}
