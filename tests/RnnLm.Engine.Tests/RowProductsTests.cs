using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The class word-part kernels (dots of contiguous rows, weighted row sums, rank-m row updates) against their
/// double-accumulating references, over row counts that straddle the register blocking (pairs of rows, 4 and 8
/// columns) and widths that straddle the 16-lane vectors and 64-lane chunks.
/// </summary>
public class RowProductsTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (m, n) in new[] { (1, 1), (1, 7), (1, 8), (1, 9), (2, 3), (2, 4), (3, 5), (4, 13), (5, 17), (9, 2), (2, 441), (1, 2088) })
        {
            foreach (var width in new[] { 1, 4, 16, 17, 63, 64, 65, 100, 200 })
            {
                data.Add(m, n, width);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DotsMatchTheReference(int m, int n, int width)
    {
        var a = Random(m * width, seed: 1);
        var b = Random(n * width, seed: 2);
        var fast = new float[m * n];
        var expected = new float[m * n];
        RowProducts.Dots<float>(a, m, b, n, width, fast);
        RowProducts.DotsReference(a, m, b, n, width, expected);
        AssertClose(expected, fast, width);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CombineMatchesTheReference(int m, int n, int width)
    {
        var weights = Random(m * n, seed: 3);
        var b = Random(n * width, seed: 4);
        var fast = Random(m * width, seed: 5); // overwritten, not added to
        var expected = new float[m * width];
        RowProducts.Combine<float>(weights, m, b, n, width, fast);
        RowProducts.CombineReference(weights, m, b, n, width, expected);
        AssertClose(expected, fast, n);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddOuterMatchesTheReference(int m, int n, int width)
    {
        var weights = Random(m * n, seed: 6);
        var a = Random(m * width, seed: 7);
        foreach (var keep in new[] { 1f, 0.75f })
        {
            var fast = Random(n * width, seed: 8);
            var expected = (float[])fast.Clone();
            RowProducts.AddOuter<float>(weights, a, m, fast, n, width, keep);
            RowProducts.AddOuterReference(weights, a, m, expected, n, width, keep);
            AssertClose(expected, fast, m + 1);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheFusedBackwardStepGivesTheSameBitsAsItsParts(int m, int n, int width)
    {
        var errors = Random(m * n, seed: 15);
        var a = Random(m * width, seed: 16);
        foreach (var (scale, keep) in new[] { (1f, 1f), (-0.003f, 1f), (-0.003f, 0.75f) })
        {
            var (fusedErrors, fusedB, fusedSums) = ((float[])errors.Clone(), Random(n * width, seed: 17), Random(m * width, seed: 18));
            var (partErrors, partB, partSums) = ((float[])errors.Clone(), (float[])fusedB.Clone(), new float[m * width]);
            var expectedB = (float[])fusedB.Clone();
            RowProducts.CombineAndAddOuter<float>(fusedErrors, m, a, fusedB, n, width, fusedSums, scale, keep);
            RowProducts.Combine<float>(partErrors, m, partB, n, width, partSums);
            for (var i = 0; i < partErrors.Length; i++)
            {
                partErrors[i] *= scale;
            }

            RowProducts.AddOuter<float>(partErrors, a, m, partB, n, width, keep);
            Assert.Equal(partErrors, fusedErrors);
            Assert.Equal(partSums, fusedSums);
            Assert.Equal(partB, fusedB);

            var expectedSums = new float[m * width];
            RowProducts.CombineReference(errors, m, expectedB, n, width, expectedSums);
            RowProducts.AddOuterReference(partErrors, a, m, expectedB, n, width, keep);
            AssertClose(expectedSums, fusedSums, n);
            AssertClose(expectedB, fusedB, m + 1);
        }
    }

    [Fact]
    public void ARowsResultsDoNotDependOnTheOtherRowsInTheCall()
    {
        // Rows fall into pairs or a single last row, columns into blocks of 4 or 8; none of that may change a bit.
        const int m = 5, n = 11, width = 100;
        var a = Random(m * width, seed: 9);
        var b = Random(n * width, seed: 10);
        var weights = Random(m * n, seed: 11);
        var allDots = new float[m * n];
        var allSums = new float[m * width];
        RowProducts.Dots<float>(a, m, b, n, width, allDots);
        RowProducts.Combine<float>(weights, m, b, n, width, allSums);
        for (var i = 0; i < m; i++)
        {
            var dots = new float[n];
            var sums = new float[width];
            RowProducts.Dots<float>(a.AsSpan(i * width, width), 1, b, n, width, dots);
            RowProducts.Combine<float>(weights.AsSpan(i * n, n), 1, b, n, width, sums);
            Assert.Equal(allDots.AsSpan(i * n, n).ToArray(), dots);
            Assert.Equal(allSums.AsSpan(i * width, width).ToArray(), sums);
            for (var j = 0; j < n; j++)
            {
                var one = new float[1];
                RowProducts.Dots<float>(a.AsSpan(i * width, width), 1, b.AsSpan(j * width, width), 1, width, one);
                Assert.Equal(allDots[i * n + j], one[0]);
            }
        }
    }

    [Fact]
    public void TheDoublePathMatchesTheFloatReference()
    {
        const int m = 3, n = 5, width = 7;
        var (a, b, weights) = (Random(m * width, 12), Random(n * width, 13), Random(m * n, 14));
        var dots = new double[m * n];
        var sums = new double[m * width];
        var updated = Array.ConvertAll(b, x => (double)x);
        RowProducts.Dots<double>(Widen(a), m, Widen(b), n, width, dots);
        RowProducts.Combine<double>(Widen(weights), m, Widen(b), n, width, sums);
        RowProducts.AddOuter<double>(Widen(weights), Widen(a), m, updated, n, width, 0.5);
        var (expectedDots, expectedSums, expectedUpdated) = (new float[m * n], new float[m * width], (float[])b.Clone());
        RowProducts.DotsReference(a, m, b, n, width, expectedDots);
        RowProducts.CombineReference(weights, m, b, n, width, expectedSums);
        RowProducts.AddOuterReference(weights, a, m, expectedUpdated, n, width, 0.5f);
        AssertClose(expectedDots, Array.ConvertAll(dots, x => (float)x), width);
        AssertClose(expectedSums, Array.ConvertAll(sums, x => (float)x), n);
        AssertClose(expectedUpdated, Array.ConvertAll(updated, x => (float)x), m + 1);
    }

    [Fact]
    public void ShortSpansAndAnUpdateOverlappingItsInputsThrow()
    {
        var buffer = new float[64];
        Assert.Throws<ArgumentException>(() => RowProducts.Dots<float>(buffer.AsSpan(0, 7), 2, buffer, 2, 4, new float[4]));
        Assert.Throws<ArgumentException>(() => RowProducts.Combine<float>(buffer, 2, buffer, 3, 4, new float[7]));
        Assert.Throws<ArgumentException>(() => RowProducts.AddOuter<float>(buffer.AsSpan(0, 6), buffer.AsSpan(8, 8), 2, buffer.AsSpan(12, 12), 3, 4, 1f));
        Assert.Throws<ArgumentException>(() => RowProducts.CombineAndAddOuter<float>(buffer.AsSpan(0, 6), 2, buffer.AsSpan(8, 8), buffer.AsSpan(16, 12), 3, 4, buffer.AsSpan(24, 8), 1f, 1f));
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static double[] Widen(float[] values) => Array.ConvertAll(values, x => (double)x);

    // Terms of magnitude ≤ 1: float rounding grows with the number of terms summed.
    private static void AssertClose(float[] expected, float[] actual, int terms)
    {
        var tolerance = 4e-7 * (terms + 4);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {actual[i]} vs {expected[i]}");
        }
    }
}
