using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The tree output's path kernels (the logits of a word's path, the hidden gradient summed over it, a node's step) on
/// every kernel kind this machine runs, against double-accumulating references, over path lengths on both sides of the
/// four-node grouping and widths on both sides of every vector width.
/// </summary>
public class PathKernelsTests
{
    private const int Rows = 40; // rows of u: the nodes a path may name

    public static TheoryData<string, int, int> Shapes()
    {
        var shapes = new List<(int, int)>();
        foreach (var length in new[] { 0, 1, 3, 4, 5, 8, 13, 27 })
        {
            foreach (var width in new[] { 1, 4, 7, 16, 17, 63, 64, 100, 200 })
            {
                shapes.Add((length, width));
            }
        }

        return KernelKindData.With(shapes);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LogitsMatchTheReference(string kind, int length, int width)
    {
        var (h, u, bias, path) = (Random(width, 1), Random(Rows * width, 2), Random(Rows, 3), Path(length, 4));
        var z = Random(length + 2, 5);
        var after = z[length..].ToArray();
        PathKernels.Logits(h, u, bias, path, z, KernelKindData.Parse(kind));
        for (var j = 0; j < length; j++)
        {
            double expected = bias[path[j]];
            for (var p = 0; p < width; p++)
            {
                expected += (double)h[p] * u[(path[j] * width) + p];
            }

            AssertClose(expected, z[j], width + 1);
        }

        Assert.Equal(after, z[length..]); // nothing past the path is written
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ANodesLogitHasTheSameBitsWhateverThePathAroundIt(string kind, int length, int width)
    {
        var (h, u, bias, path) = (Random(width, 6), Random(Rows * width, 7), Random(Rows, 8), Path(length, 9));
        var z = new float[length];
        PathKernels.Logits(h, u, bias, path, z, KernelKindData.Parse(kind));
        for (var j = 0; j < length; j++)
        {
            var alone = new float[1];
            PathKernels.Logits(h, u, bias, path.AsSpan(j, 1), alone, KernelKindData.Parse(kind));
            Assert.Equal(alone[0], z[j]);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CombineMatchesTheReferenceAndOverwritesTheGradient(string kind, int length, int width)
    {
        var (u, errors, path) = (Random(Rows * width, 10), Random(length, 11), Path(length, 12));
        var gradient = Random(width, 13); // overwritten, not added to
        PathKernels.Combine(u, path, errors, gradient, KernelKindData.Parse(kind));
        for (var p = 0; p < width; p++)
        {
            double expected = 0;
            for (var j = 0; j < length; j++)
            {
                expected += (double)errors[j] * u[(path[j] * width) + p];
            }

            AssertClose(expected, gradient[p], length);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CombineAndAddScaledAreElementwiseChainsWithTheSameBitsOnEveryKind(string kind, int length, int width)
    {
        // Each element is one fused multiply-add chain in path order, as the scalar kind computes it.
        var (u, errors, path) = (Random(Rows * width, 14), Random(length, 15), Path(length, 16));
        var (fast, scalar) = (new float[width], new float[width]);
        PathKernels.Combine(u, path, errors, fast, KernelKindData.Parse(kind));
        PathKernels.Combine(u, path, errors, scalar, KernelKind.Scalar);
        Assert.Equal(scalar, fast);

        var row = Random(width, 17);
        var y = Random(width, 18);
        var expected = y.Select((value, p) => KernelKinds.MultiplyAdd(0.375f, row[p], value)).ToArray();
        PathKernels.AddScaled(0.375f, row, y, KernelKindData.Parse(kind));
        Assert.Equal(expected, y);
    }

    [Fact]
    public void ShortSpansThrow()
    {
        var (u, h) = (new float[Rows * 4], new float[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => PathKernels.Logits(h, u, new float[Rows], [1, 2, 3], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PathKernels.Combine(u, [1, 2, 3], new float[2], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PathKernels.AddScaled(1f, new float[3], new float[4]));
    }

    // Nodes of u in no order, some repeated, as paths through different trees would name them.
    private static int[] Path(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(Rows))];
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    // Terms of magnitude ≤ 1: float rounding grows with the number of terms summed.
    private static void AssertClose(double expected, float actual, int terms) =>
        Assert.True(Math.Abs(expected - actual) <= 4e-7 * (terms + 4) * Math.Max(1, Math.Abs(expected)), $"{actual} vs {expected}");
}
