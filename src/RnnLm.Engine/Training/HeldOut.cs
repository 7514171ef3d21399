namespace RnnLm.Engine.Training;

/// <summary>Validation text taken from the training text when none is given: a seeded random fraction of its sentences.</summary>
public static class HeldOut
{
    /// <summary>Splits off a seeded random fraction of the sentences (at least one, never all) for validation, keeping the order of each part.</summary>
    /// <exception cref="ArgumentException">There are fewer than two sentences.</exception>
    public static (IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid) Split(IReadOnlyList<string[]> sentences, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (sentences.Count < 2)
        {
            throw new ArgumentException("Holding out validation text needs at least two training sentences; send a valid text.");
        }

        var count = Count(sentences.Count, fraction);
        var order = Enumerable.Range(0, sentences.Count).ToArray();
        new Random(seed).Shuffle(order);
        var held = order.Take(count).ToHashSet();
        return (sentences.Where((_, i) => !held.Contains(i)).ToArray(), sentences.Where((_, i) => held.Contains(i)).ToArray());
    }

    /// <summary>How many of <paramref name="sentences"/> a fraction holds out: rounded, at least one, never all.</summary>
    public static int Count(int sentences, double fraction) => Math.Clamp((int)Math.Round(sentences * fraction), 1, Math.Max(1, sentences - 1));
}
