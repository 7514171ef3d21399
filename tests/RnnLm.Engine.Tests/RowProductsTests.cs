using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The class word-part kernels (dots of contiguous rows, weighted row sums, rank-m row updates and the fused
/// backward step) on every kernel kind this machine runs, against their double-accumulating references, over row
/// counts that straddle the register blocking (pairs of rows, 4 and 8 columns) and widths that straddle the 4-,
/// 8- and 16-lane vectors and 64-lane chunks.
/// </summary>
public class RowProductsTests
{
    public static TheoryData<string, int, int, int> Shapes()
    {
        var shapes = new List<(int, int, int)>();
        foreach (var (m, n) in new[] { (1, 1), (1, 7), (1, 8), (1, 9), (2, 3), (2, 4), (3, 5), (4, 13), (5, 17), (9, 2), (7, 33), (2, 441), (1, 2088) })
        {
            foreach (var width in new[] { 1, 4, 16, 17, 63, 64, 65, 100, 200 })
            {
                shapes.Add((m, n, width));
            }
        }

        return KernelKindData.With(shapes);
    }

    // Row counts on both sides of Gemm's 4-row direct path and of the pairs, class sizes on both sides of its
    // 256-deep blocks, widths on both sides of every vector width.
    public static TheoryData<string, int, int, int> Groupings() =>
        KernelKindData.With([(5, 11, 100), (9, 300, 70), (6, 257, 19)]);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DotsMatchTheReference(string kind, int m, int n, int width)
    {
        var a = Random(m * width, seed: 1);
        var b = Random(n * width, seed: 2);
        var fast = new float[m * n];
        var expected = new float[m * n];
        RowProducts.Dots<float>(a, m, b, n, width, fast, KernelKindData.Parse(kind));
        RowProducts.DotsReference(a, m, b, n, width, expected);
        AssertClose(expected, fast, width);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DotsOfRowsGatheredByIndexGetTheBitsOfTheRowsCopiedOut(string kind, int m, int n, int width)
    {
        // a holds more rows than are used; the indices skip, repeat and reverse them.
        var rows = 2 * m + 1;
        var a = Random(rows * width, seed: 6);
        var b = Random(n * width, seed: 7);
        var indices = Enumerable.Range(0, m).Select(i => (((rows - 1 - (3 * i)) % rows) + rows) % rows).ToArray();
        indices[^1] = indices[0];
        var copied = indices.SelectMany(i => a.AsSpan(i * width, width).ToArray()).ToArray();
        var gathered = new float[m * n];
        var expected = new float[m * n];
        RowProducts.Dots(a, indices, b, n, width, gathered, KernelKindData.Parse(kind));
        RowProducts.Dots<float>(copied, m, b, n, width, expected, KernelKindData.Parse(kind));
        Assert.Equal(expected, gathered);
        var reference = new float[m * n];
        RowProducts.DotsReference(copied, m, b, n, width, reference);
        AssertClose(reference, gathered, width);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CombineMatchesTheReference(string kind, int m, int n, int width)
    {
        var weights = Random(m * n, seed: 3);
        var b = Random(n * width, seed: 4);
        var fast = Random(m * width, seed: 5); // overwritten, not added to
        var expected = new float[m * width];
        RowProducts.Combine<float>(weights, m, b, n, width, fast, KernelKindData.Parse(kind));
        RowProducts.CombineReference(weights, m, b, n, width, expected);
        AssertClose(expected, fast, n);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddOuterMatchesTheReference(string kind, int m, int n, int width)
    {
        var weights = Random(m * n, seed: 6);
        var a = Random(m * width, seed: 7);
        foreach (var keep in new[] { 1f, 0.75f })
        {
            var fast = Random(n * width, seed: 8);
            var expected = (float[])fast.Clone();
            RowProducts.AddOuter<float>(weights, a, m, fast, n, width, keep, KernelKindData.Parse(kind));
            RowProducts.AddOuterReference(weights, a, m, expected, n, width, keep);
            AssertClose(expected, fast, m + 1);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheFusedBackwardStepMatchesItsReference(string kind, int m, int n, int width)
    {
        var errors = Random(m * n, seed: 19);
        var a = Random(m * width, seed: 20);
        foreach (var (scale, keep) in new[] { (1f, 1f), (-0.003f, 1f), (-0.003f, 0.75f) })
        {
            var (fastErrors, fastB, fastSums) = ((float[])errors.Clone(), Random(n * width, seed: 21), Random(m * width, seed: 22));
            var (expectedErrors, expectedB, expectedSums) = ((float[])errors.Clone(), (float[])fastB.Clone(), new float[m * width]);
            RowProducts.CombineAndAddOuter<float>(fastErrors, m, a, fastB, n, width, fastSums, scale, keep, KernelKindData.Parse(kind));
            RowProducts.CombineAndAddOuterReference(expectedErrors, m, a, expectedB, n, width, expectedSums, scale, keep);
            Assert.Equal(expectedErrors, fastErrors);
            AssertClose(expectedSums, fastSums, n);
            AssertClose(expectedB, fastB, m + 1);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheFusedBackwardStepGivesTheSameBitsAsItsParts(string kind, int m, int n, int width)
    {
        var errors = Random(m * n, seed: 15);
        var a = Random(m * width, seed: 16);
        var k = KernelKindData.Parse(kind);
        foreach (var (scale, keep) in new[] { (1f, 1f), (-0.003f, 1f), (-0.003f, 0.75f) })
        {
            var (fusedErrors, fusedB, fusedSums) = ((float[])errors.Clone(), Random(n * width, seed: 17), Random(m * width, seed: 18));
            var (partErrors, partB, partSums) = ((float[])errors.Clone(), (float[])fusedB.Clone(), new float[m * width]);
            RowProducts.CombineAndAddOuter<float>(fusedErrors, m, a, fusedB, n, width, fusedSums, scale, keep, k);
            RowProducts.Combine<float>(partErrors, m, partB, n, width, partSums, k);
            for (var i = 0; i < partErrors.Length; i++)
            {
                partErrors[i] *= scale;
            }

            RowProducts.AddOuter<float>(partErrors, a, m, partB, n, width, keep, k);
            Assert.Equal(partErrors, fusedErrors);
            Assert.Equal(partSums, fusedSums);
            Assert.Equal(partB, fusedB);
        }
    }

    [Theory]
    [MemberData(nameof(Groupings))]
    public void ARowsResultsDoNotDependOnTheOtherRowsInTheCall(string kind, int m, int n, int width)
    {
        // Rows fall into pairs or a single last row, columns into blocks of 4 or 8, the rows of b into whatever the
        // kernel takes at once; none of that may change a bit: training threads group rows differently.
        var k = KernelKindData.Parse(kind);
        var a = Random(m * width, seed: 9);
        var b = Random(n * width, seed: 10);
        var weights = Random(m * n, seed: 11);
        var (allDots, allSums, allUpdated) = (new float[m * n], new float[m * width], (float[])b.Clone());
        RowProducts.Dots<float>(a, m, b, n, width, allDots, k);
        RowProducts.Combine<float>(weights, m, b, n, width, allSums, k);
        RowProducts.AddOuter<float>(weights, a, m, allUpdated, n, width, 0.75f, k);
        for (var i = 0; i < m; i++)
        {
            var (dots, sums) = (new float[n], new float[width]);
            RowProducts.Dots<float>(a.AsSpan(i * width, width), 1, b, n, width, dots, k);
            RowProducts.Combine<float>(weights.AsSpan(i * n, n), 1, b, n, width, sums, k);
            Assert.Equal(allDots.AsSpan(i * n, n).ToArray(), dots);
            Assert.Equal(allSums.AsSpan(i * width, width).ToArray(), sums);
        }

        for (var j = 0; j < n; j++)
        {
            var one = new float[1];
            RowProducts.Dots<float>(a.AsSpan(0, width), 1, b.AsSpan(j * width, width), 1, width, one, k);
            Assert.Equal(allDots[j], one[0]);

            var column = Enumerable.Range(0, m).Select(i => weights[i * n + j]).ToArray(); // [m, 1]
            var updated = b.AsSpan(j * width, width).ToArray();
            RowProducts.AddOuter<float>(column, a, m, updated, 1, width, 0.75f, k);
            Assert.Equal(allUpdated.AsSpan(j * width, width).ToArray(), updated);
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
        Assert.Throws<ArgumentOutOfRangeException>(() => RowProducts.Dots(buffer.AsSpan(0, 8), [0, 2], buffer, 2, 4, new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowProducts.Dots(buffer.AsSpan(0, 8), [-1], buffer, 2, 4, new float[2]));
        Assert.Throws<ArgumentException>(() => RowProducts.Dots(buffer.AsSpan(0, 8), [0, 1], buffer, 2, 4, new float[3]));
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
