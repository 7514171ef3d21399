namespace RnnLm.Engine.NGram;

/// <summary>
/// The three modified Kneser-Ney discounts of one order (Chen &amp; Goodman 1998, eq. 26): D1 for n-grams seen once,
/// D2 twice, D3+ three times or more, estimated from that order's count-of-counts n1..n4 of the adjusted counts.
/// </summary>
public sealed record Discounts(double D1, double D2, double D3Plus)
{
    /// <summary>The discount taken from an n-gram whose adjusted count is <paramref name="count"/> (0 for unseen).</summary>
    public double For(long count) => count switch
    {
        <= 0 => 0,
        1 => D1,
        2 => D2,
        _ => D3Plus,
    };

    /// <summary>
    /// Y = n1 / (n1 + 2·n2) and Dk = k − (k + 1)·Y·n(k+1) / nk for k = 1, 2, 3, where <paramref name="countOfCounts"/>[k − 1] = nk.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A count-of-counts is zero or a discount falls outside (0, k]: the text is too small or too regular for this order
    /// (KenLM's <c>lmplz</c> stops here too unless told to fall back).
    /// </exception>
    public static Discounts FromCountOfCounts(ReadOnlySpan<long> countOfCounts, int order)
    {
        if (countOfCounts.Length < 4)
        {
            throw new ArgumentException("Discounts need the count-of-counts n1..n4.", nameof(countOfCounts));
        }

        for (var k = 0; k < 4; k++)
        {
            if (countOfCounts[k] == 0)
            {
                throw new InvalidDataException($"No {order}-gram has adjusted count {k + 1}, so the Kneser-Ney discounts of order {order} are undefined: the text is too small for this order.");
            }
        }

        var y = countOfCounts[0] / (double)(countOfCounts[0] + 2 * countOfCounts[1]);
        var d = new double[3];
        for (var k = 1; k <= 3; k++)
        {
            d[k - 1] = k - (k + 1) * y * countOfCounts[k] / countOfCounts[k - 1];
            if (d[k - 1] <= 0 || d[k - 1] > k)
            {
                throw new InvalidDataException($"The Kneser-Ney discount D{k} of order {order} is {d[k - 1]:G4}, outside (0, {k}]: the text is too small or too regular for this order.");
            }
        }

        return new Discounts(d[0], d[1], d[2]);
    }
}
