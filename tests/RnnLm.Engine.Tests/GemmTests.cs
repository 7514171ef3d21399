using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The fast GEMM against the plain double-accumulating reference on every kernel kind this machine runs, over
/// all transpose forms and shapes that straddle the kernels' block boundaries (MR = 8, 6 or 4; NR = 32 and 16 on
/// AVX-512, 2V or 4 elsewhere; KC = 256, MC = 192, NC = 4096, B read in place up to 32 rows, the direct path up to
/// 4 rows), plus thread-count independence, leading dimensions and argument checks; and the row products of inference,
/// whose rows do not depend on the other rows of a call.
/// </summary>
public class GemmTests
{
    private const int Vocabulary = 14115;

    public static TheoryData<string, int, int, int> AwkwardSizes() => KernelKindData.With(
    [
        (1, 1, 1),
        (1, Vocabulary, 100),
        (2, 257, 33),
        (3, 70, 19),
        (4, 65, 300),
        (5, 63, 17),
        (7, 13, 5),
        (8, 32, 256),
        (9, 33, 257),
        (15, 16, 255),
        (17, 33, 65),
        (16, 17, 512),
        (24, 48, 513),
        (31, 100, 64),
        (191, 31, 40),
        (192, 64, 9),
        (193, 97, 11),
        (385, 40, 3),
        (9, 4095, 3),
        (9, 4097, 2),
        (6, 8193, 2),
        (64, 100, 1),
        (100, 64, 1024),
    ]);

    public static TheoryData<string, bool, bool> TransposeForms() =>
        KernelKindData.With([(false, false), (false, true), (true, false), (true, true)]);

    [Theory]
    [MemberData(nameof(AwkwardSizes))]
    public void FastPathMatchesReferenceForEveryTransposeAndAccumulateCombination(string kind, int m, int n, int k)
    {
        foreach (var transA in new[] { false, true })
        {
            foreach (var transB in new[] { false, true })
            {
                foreach (var accumulate in new[] { false, true })
                {
                    var p = Problem.Create(m, n, k, transA, transB, padding: 0, seed: m * 31 + n * 7 + k);
                    AssertMatchesReference(p, accumulate, threads: 1, kind);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TransposeForms))]
    public void LeadingDimensionsWiderThanTheRowsAreHonouredAndThePaddingIsLeftAlone(string kind, bool transA, bool transB)
    {
        foreach (var (m, n, k) in new[] { (3, 70, 21), (37, 45, 300), (200, 90, 40) })
        {
            var p = Problem.Create(m, n, k, transA, transB, padding: 5, seed: 11);
            var c = Run(p, accumulate: true, threads: 2, kind);
            for (var i = 0; i < m; i++)
            {
                for (var j = n; j < p.Ldc && i * p.Ldc + j < c.Length; j++)
                {
                    Assert.Equal(p.C[i * p.Ldc + j], c[i * p.Ldc + j]);
                }
            }

            AssertMatchesReference(p, accumulate: true, threads: 2, kind);
        }
    }

    [Theory]
    [MemberData(nameof(KernelKindData.Kinds), MemberType = typeof(KernelKindData))]
    public void TheFullLogitsShapeMatchesTheReferenceOnSampledRows(string kind)
    {
        // Row i of C depends only on row i of A, so the reference is run on single rows: the first and last
        // of each MR panel near the ends, every column including the ragged last NR panel.
        var p = Problem.Create(160, Vocabulary, 256, transA: false, transB: true, padding: 0, seed: 5);
        var actual = Run(p, accumulate: false, threads: 2, kind);
        foreach (var i in new[] { 0, 1, 5, 6, 7, 8, 9, 80, 151, 152, 155, 156, 159 })
        {
            var row = new Problem(p.A[(i * p.Lda)..((i + 1) * p.Lda)], p.Lda, false, p.B, p.Ldb, true,
                                  actual[(i * p.Ldc)..((i + 1) * p.Ldc)], p.Ldc, 1, p.N, p.K);
            var expected = new float[p.N];
            Gemm.MultiplyReference(row.A, row.Lda, false, row.B, row.Ldb, true, expected, p.Ldc, 1, p.N, p.K, false);
            AssertClose(expected, row.C, $"logits row {i}");
        }
    }

    [Theory]
    [MemberData(nameof(KernelKindData.Kinds), MemberType = typeof(KernelKindData))]
    public void ALongInnerDimensionSplitAcrossThreadsMatchesTheReference(string kind)
    {
        // Back-prop shape G[M, V] · U[V, Dh]: A is large enough to be packed once and shared by the workers.
        foreach (var transB in new[] { false, true })
        {
            var p = Problem.Create(40, 96, 7000, transA: false, transB, padding: 3, seed: 21);
            AssertMatchesReference(p, accumulate: true, threads: 2, kind);
        }
    }

    [Theory]
    [MemberData(nameof(TransposeForms))]
    public void OneTwoAndThreeThreadsGiveBitIdenticalResults(string kind, bool transA, bool transB)
    {
        foreach (var (m, n, k) in new[] { (160, 1500, 300), (600, 96, 257), (40, 200, 7000), (3, 9000, 256), (1, 20000, 100) })
        {
            var p = Problem.Create(m, n, k, transA, transB, padding: 1, seed: 3);
            var one = Run(p, accumulate: true, threads: 1, kind);
            Assert.Equal(one, Run(p, accumulate: true, threads: 2, kind));
            Assert.Equal(one, Run(p, accumulate: true, threads: 3, kind));
        }
    }

    [Theory]
    [MemberData(nameof(TransposeForms))]
    public void RowsSplitOverCallsBySplitRowsGiveTheBitsOfOneCall(string kind, bool transA, bool transB)
    {
        // Callers split a product's rows over threads, each with a call of its own: a part of at most 4 rows
        // would take the direct path, which sums in another order than the packed one (and k = 300 > KC).
        foreach (var m in Enumerable.Range(1, 24))
        {
            var p = Problem.Create(m, 37, 300, transA, transB, padding: 2, seed: m);
            var one = Run(p, accumulate: true, threads: 1, kind);
            foreach (var parts in new[] { 2, 3 })
            {
                var split = (float[])p.C.Clone();
                for (var part = 0; part < parts; part++)
                {
                    var (from, to) = Gemm.SplitRows(m, parts, part);
                    var a = transA ? p.A.AsSpan(from) : p.A.AsSpan(from * p.Lda);
                    Gemm.Multiply(a, p.Lda, transA, p.B, p.Ldb, transB, split.AsSpan(from * p.Ldc), p.Ldc, to - from, p.N, p.K,
                                  accumulate: true, threads: 1, KernelKindData.Parse(kind));
                }

                Assert.Equal(one, split);
            }
        }
    }

    public static TheoryData<string, int, int, int> RowProductShapes() => KernelKindData.With(
    [
        (1, 1, 1),
        (1, 100, 100),
        (1, 400, 100),
        (2, 17, 300),
        (3, 7, 5),
        (4, 129, 257),
        (1, 1000, 600),
        (5, 200, 100),
        (9, 33, 513),
        (16, 400, 100),
    ]);

    [Theory]
    [MemberData(nameof(RowProductShapes))]
    public void RowProductsMatchTheReferenceAndGiveEachRowTheBitsOfACallOfItsOwn(string kind, int m, int n, int k)
    {
        // Vectors of 16, 8, 4 or 1 column in groups of up to 8, a masked or overlapping last one; k cut every KC = 256.
        var p = Problem.Create(m, n, k, transA: false, transB: false, padding: 3, seed: m + n + k);
        var actual = (float[])p.C.Clone();
        Gemm.AddRowProducts(p.A, p.Lda, p.B, p.Ldb, actual, p.Ldc, m, n, k, KernelKindData.Parse(kind));
        var expected = (float[])p.C.Clone();
        Gemm.MultiplyReference(p.A, p.Lda, false, p.B, p.Ldb, false, expected, p.Ldc, m, n, k, accumulate: true);
        AssertClose(expected, actual, $"{kind} {m}×{n}×{k}");

        // Each row alone, and each row among 11 others (the packed path), gives the same bits.
        var others = Problem.Create(12, n, k, transA: false, transB: false, padding: 3, seed: 5);
        for (var i = 0; i < m; i++)
        {
            var alone = p.C.AsSpan(i * p.Ldc, n).ToArray();
            Gemm.AddRowProducts(p.A.AsSpan(i * p.Lda, k), p.Lda, p.B, p.Ldb, alone, p.Ldc, 1, n, k, KernelKindData.Parse(kind));
            Assert.Equal(actual.AsSpan(i * p.Ldc, n).ToArray(), alone);

            p.A.AsSpan(i * p.Lda, k).CopyTo(others.A.AsSpan(7 * p.Lda));
            p.C.AsSpan(i * p.Ldc, n).CopyTo(others.C.AsSpan(7 * p.Ldc));
            var among = (float[])others.C.Clone();
            Gemm.AddRowProducts(others.A, p.Lda, p.B, p.Ldb, among, p.Ldc, 12, n, k, KernelKindData.Parse(kind));
            Assert.Equal(alone, among.AsSpan(7 * p.Ldc, n).ToArray());
        }

        // The padding past each row of C is left alone.
        for (var i = 0; i < m; i++)
        {
            Assert.Equal(p.C.AsSpan((i * p.Ldc) + n, 3).ToArray(), actual.AsSpan((i * p.Ldc) + n, 3).ToArray());
        }
    }

    [Fact]
    public void RepeatedCallsGiveBitIdenticalResults()
    {
        var p = Problem.Create(77, 3000, 270, transA: false, transB: true, padding: 0, seed: 8);
        var first = Run(p, accumulate: false, threads: 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(first, Run(p, accumulate: false, threads: 2));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnEmptyInnerDimensionZeroesCUnlessAccumulating(bool accumulate)
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6, 7 };
        Gemm.Multiply(ReadOnlySpan<float>.Empty, 0, false, ReadOnlySpan<float>.Empty, 3, false, c, 4, 2, 3, 0, accumulate);
        float[] expected = accumulate ? [1, 2, 3, 4, 5, 6, 7] : [0, 0, 0, 4, 0, 0, 0];
        Assert.Equal(expected, c);
    }

    [Fact]
    public void EmptyRowsOrColumnsLeaveCUntouched()
    {
        var a = new float[12];
        var c = new float[] { 9, 9, 9 };
        Gemm.Multiply(a, 4, false, a, 3, false, c, 3, 0, 3, 4, false);
        Gemm.Multiply(a, 4, false, a, 0, false, c, 0, 3, 0, 4, false);
        Assert.Equal([9f, 9f, 9f], c);
    }

    [Fact]
    public void TheGenericFloatOverloadIsTheFastPath()
    {
        var p = Problem.Create(40, 500, 300, transA: false, transB: true, padding: 0, seed: 4);
        var generic = (float[])p.C.Clone();
        Gemm.Multiply<float>(p.A, p.Lda, false, p.B, p.Ldb, true, generic, p.Ldc, p.M, p.N, p.K, false, 2);
        Assert.Equal(Run(p, accumulate: false, threads: 1), generic);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TheDoublePathMatchesADoubleReference(bool transA, bool transB)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 13, 5), (17, 33, 65), (5, 3, 0) })
        {
            foreach (var accumulate in new[] { false, true })
            {
                var random = new Random(m + n + k);
                var (lda, ldb, ldc) = ((transA ? m : k) + 1, (transB ? k : n) + 2, n + 3);
                var a = Enumerable.Range(0, (transA ? k : m) * lda).Select(_ => random.NextDouble() * 2 - 1).ToArray();
                var b = Enumerable.Range(0, (transB ? n : k) * ldb).Select(_ => random.NextDouble() * 2 - 1).ToArray();
                var c = Enumerable.Range(0, m * ldc).Select(_ => random.NextDouble() * 2 - 1).ToArray();
                var expected = (double[])c.Clone();
                for (var i = 0; i < m; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        var sum = accumulate ? expected[i * ldc + j] : 0.0;
                        for (var p = 0; p < k; p++)
                        {
                            sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                        }

                        expected[i * ldc + j] = sum;
                    }
                }

                Gemm.Multiply<double>(a, lda, transA, b, ldb, transB, c, ldc, m, n, k, accumulate, threads: 2);
                for (var i = 0; i < c.Length; i++)
                {
                    Assert.Equal(expected[i], c[i], 1e-12);
                }
            }
        }
    }

    [Fact]
    public void NegativeDimensionsAndTooFewThreadsThrowOutOfRange()
    {
        var x = new float[16];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[16], 4, -1, 4, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[16], 4, 4, -1, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[16], 4, 4, 4, -1, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[16], 4, 4, 4, 4, false, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<double>(new double[16], 4, false, new double[16], 4, false, new double[16], 4, 4, 4, 4, false, 0));
    }

    [Fact]
    public void LeadingDimensionsNarrowerThanTheStoredRowsThrowOutOfRange()
    {
        var x = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 3, false, x, 4, false, new float[64], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, true, x, 4, false, new float[64], 4, 5, 4, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 3, false, new float[64], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 3, true, new float[64], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[64], 3, 4, 4, 4, false));
    }

    [Fact]
    public void SpansTooShortForTheirShapeOrAnOverlappingCThrow()
    {
        var x = new float[16];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[15], 4, false, x, 4, false, new float[16], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(x, 4, false, new float[12], 4, false, new float[16], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(x, 4, false, x, 4, false, new float[15], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyReference(x, 4, false, x, 4, false, new float[15], 4, 4, 4, 4, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(new double[15], 4, false, new double[16], 4, false, new double[16], 4, 4, 4, 4, false));

        var shared = new float[48];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(shared, 4, false, x, 4, false, shared.AsSpan(8), 4, 4, 4, 4, false));
        Gemm.Multiply(shared.AsSpan(0, 16), 4, false, x, 4, false, shared.AsSpan(16), 4, 4, 4, 4, false);
    }

    private static float[] Run(Problem p, bool accumulate, int threads)
    {
        var c = (float[])p.C.Clone();
        Gemm.Multiply(p.A, p.Lda, p.TransA, p.B, p.Ldb, p.TransB, c, p.Ldc, p.M, p.N, p.K, accumulate, threads);
        return c;
    }

    private static float[] Run(Problem p, bool accumulate, int threads, string kind)
    {
        var c = (float[])p.C.Clone();
        Gemm.Multiply(p.A, p.Lda, p.TransA, p.B, p.Ldb, p.TransB, c, p.Ldc, p.M, p.N, p.K, accumulate, threads, KernelKindData.Parse(kind));
        return c;
    }

    private static void AssertMatchesReference(Problem p, bool accumulate, int threads, string kind)
    {
        var actual = Run(p, accumulate, threads, kind);
        var expected = (float[])p.C.Clone();
        Gemm.MultiplyReference(p.A, p.Lda, p.TransA, p.B, p.Ldb, p.TransB, expected, p.Ldc, p.M, p.N, p.K, accumulate);

        AssertClose(expected, actual, $"{kind} {p.M}×{p.N}×{p.K} transA={p.TransA} transB={p.TransB} accumulate={accumulate}");
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        var magnitude = 1.0;
        foreach (var e in expected)
        {
            magnitude = Math.Max(magnitude, Math.Abs(e));
        }

        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= 1e-4 * magnitude, $"{what}: max |Δ| {worst} vs magnitude {magnitude}");
    }

    private sealed record Problem(float[] A, int Lda, bool TransA, float[] B, int Ldb, bool TransB, float[] C, int Ldc, int M, int N, int K)
    {
        // Inputs ~ U(-1, 1) from a fixed seed; `padding` widens every leading dimension past its row.
        public static Problem Create(int m, int n, int k, bool transA, bool transB, int padding, int seed)
        {
            var random = new Random(seed);
            var (lda, ldb, ldc) = ((transA ? m : k) + padding, (transB ? k : n) + padding, n + padding);
            var a = Fill(random, (transA ? k : m) * lda);
            var b = Fill(random, (transB ? n : k) * ldb);
            var c = Fill(random, m * ldc);
            return new Problem(a, lda, transA, b, ldb, transB, c, ldc, m, n, k);
        }

        private static float[] Fill(Random random, int length)
        {
            var x = new float[length];
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = (float)(random.NextDouble() * 2 - 1);
            }

            return x;
        }
    }
}
