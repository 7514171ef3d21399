namespace RnnLm.Engine.Training;

/// <summary>Validation text taken from the training text when none is given: a seeded random fraction of its sentences.</summary>
public static class HeldOut
{
    /// <summary>The fraction held out when none is given.</summary>
    public const double DefaultFraction = 0.1;

    /// <summary>The largest fraction that may be held out: the model trains on at least half of the text.</summary>
    public const double MaxFraction = 0.5;

    /// <summary>What is wrong with a fraction to hold out, or null when it is fine.</summary>
    public static string? Check(double fraction) => fraction is > 0 and <= MaxFraction ? null : $"Must be greater than 0 and at most {MaxFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}.";

    /// <summary>Splits off a seeded random fraction of the sentences (at least one, never all) for validation, keeping the order of each part.</summary>
    /// <exception cref="ArgumentException">There are fewer than two sentences.</exception>
    public static (IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid) Split(IReadOnlyList<string[]> sentences, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (sentences.Count < 2)
        {
            throw new ArgumentException("Holding out validation text needs at least two training sentences; give validation text instead.");
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
