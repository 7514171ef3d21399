namespace RnnLm.Engine.NGram;

/// <summary>One n-gram of an estimated model: its word ids, log10 probability and log10 back-off weight (0 when it is never a context).</summary>
public readonly record struct NGramEntry(int[] Ids, double LogProb, double LogBackoff);

/// <summary>
/// An estimated back-off model as the ARPA format lays it out: the words (their index is their id; <c>&lt;s&gt;</c> is one of them,
/// with no probability of its own), and per order its n-grams. Also keeps what the estimate was made from, for inspection.
/// </summary>
public sealed class NGramEstimate
{
    internal NGramEstimate(IReadOnlyList<string> words, IReadOnlyList<NGramEntry>[] entries, IReadOnlyList<long[]> countOfCounts, IReadOnlyList<Discounts> discounts)
    {
        Words = words;
        Entries = entries;
        CountOfCounts = countOfCounts;
        Discounts = discounts;
    }

    /// <summary>Highest order N.</summary>
    public int Order => Entries.Length;

    public IReadOnlyList<string> Words { get; }

    /// <summary>The n-grams of order n at index n − 1.</summary>
    public IReadOnlyList<NGramEntry>[] Entries { get; }

    /// <summary>Per order (index n − 1), n1..n4: how many n-grams have adjusted count 1, 2, 3 and 4.</summary>
    public IReadOnlyList<long[]> CountOfCounts { get; }

    /// <summary>Per order (index n − 1), the modified Kneser-Ney discounts.</summary>
    public IReadOnlyList<Discounts> Discounts { get; }

    /// <summary>The entry for <paramref name="words"/>, or null; a linear search, for tests and tools.</summary>
    public NGramEntry? Find(params string[] words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Length == 0 || words.Length > Order)
        {
            return null;
        }

        foreach (var entry in Entries[words.Length - 1])
        {
            if (entry.Ids.Select(id => Words[id]).SequenceEqual(words, StringComparer.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }
}
