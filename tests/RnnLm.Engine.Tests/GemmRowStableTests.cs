using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// <see cref="Gemm.MultiplyRowStable{T}"/>: a row's bits do not depend on how many rows share the call, also for the few rows
/// that <see cref="Gemm.Multiply{T}"/> computes by another path.
/// </summary>
public class GemmRowStableTests
{
    [Theory]
    [InlineData(100, 100, true)]
    [InlineData(14115, 100, true)]
    [InlineData(37, 300, true)]
    [InlineData(37, 300, false)]
    public void EveryRowHasTheBitsOfAManyRowProduct(int n, int k, bool transB)
    {
        var random = new Random(n + k);
        float Next() => (float)((random.NextDouble() * 2) - 1);
        const int many = 23;
        var a = Enumerable.Range(0, many * k).Select(_ => Next()).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => Next()).ToArray();
        var start = Enumerable.Range(0, many * n).Select(_ => Next()).ToArray();
        var ldb = transB ? k : n;
        foreach (var accumulate in new[] { false, true })
        {
            var all = (float[])start.Clone();
            Gemm.MultiplyRowStable<float>(a, k, b, ldb, transB, all, n, many, n, k, accumulate);
            for (var m = 1; m <= 5; m++)
            {
                for (var first = 0; first + m <= many; first += 7)
                {
                    var some = start.AsSpan(first * n, m * n).ToArray();
                    Gemm.MultiplyRowStable<float>(a.AsSpan(first * k, m * k), k, b, ldb, transB, some, n, m, n, k, accumulate);
                    Assert.True(all.AsSpan(first * n, m * n).SequenceEqual(some), $"rows {first}..{first + m - 1} of {many}, accumulate {accumulate}");
                }
            }
        }
    }

    [Fact]
    public void PlainMultiplyGivesOneRowOtherBitsWhichIsWhyRowStableExists()
    {
        // The check above must be able to fail: with vector kernels the direct path of a one-row product sums in another
        // order (the scalar kind, one chain over p either way, happens to agree).
        if (KernelKinds.Default == KernelKind.Scalar)
        {
            return;
        }

        var random = new Random(3);
        var (n, k) = (100, 100);
        var a = Enumerable.Range(0, 8 * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, n * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var all = new float[8 * n];
        var one = new float[n];
        Gemm.Multiply(a, k, false, b, k, true, all, n, 8, n, k, false);
        Gemm.Multiply(a.AsSpan(0, k), k, false, b, k, true, one, n, 1, n, k, false);
        Assert.False(all.AsSpan(0, n).SequenceEqual(one));
    }
}
