using RnnLm.Engine.Numerics;
using Xunit.Abstractions;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The gated cells' fused element-wise kernels (<see cref="Gates"/>) on every kernel kind this machine runs, against
/// their plain references computed in double precision, over widths on both sides of every vector width; the accuracy
/// of their sigmoid and tanh over the whole float range; and that an element's bits depend on nothing but its inputs.
/// </summary>
public class GatesTests(ITestOutputHelper log)
{
    private const float Clip = 0.8f; // small enough that some deltas are clipped

    public static TheoryData<string, int> Widths() => KernelKindData.With([1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 200]);

    [Theory]
    [MemberData(nameof(Widths))]
    public void GruGatesMatchTheReference(string kind, int n)
    {
        var gates = PreActivations(2 * n, seed: n);
        var previous = Values(n, seed: n + 1, scale: 1);
        var (fastGates, fastReset) = ((float[])gates.Clone(), new float[n]);
        Gates.GruGates<float>(fastGates, previous, fastReset, KernelKindData.Parse(kind));
        var (expectedGates, expectedReset) = (Widen(gates), new double[n]);
        Gates.GruGatesReference<double>(expectedGates, Widen(previous), expectedReset);
        AssertClose(expectedGates, fastGates, "r | z");
        AssertClose(expectedReset, fastReset, "r ⊙ h(t−1)");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void GruHiddenMatchesTheReference(string kind, int n)
    {
        var candidate = PreActivations(n, seed: n);
        var update = Probabilities(n, seed: n + 1);
        var previous = Values(n, seed: n + 2, scale: 1);
        var (fastCandidate, fastHidden) = ((float[])candidate.Clone(), new float[n]);
        Gates.GruHidden<float>(fastCandidate, update, previous, fastHidden, KernelKindData.Parse(kind));
        var (expectedCandidate, expectedHidden) = (Widen(candidate), new double[n]);
        Gates.GruHiddenReference<double>(expectedCandidate, Widen(update), Widen(previous), expectedHidden);
        AssertClose(expectedCandidate, fastCandidate, "n");
        AssertClose(expectedHidden, fastHidden, "h(t)");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LstmMatchesTheReference(string kind, int n)
    {
        var gates = PreActivations(4 * n, seed: n);
        var previousMemory = Values(n, seed: n + 1, scale: 5);
        var (fastGates, fastMemory, fastHidden) = ((float[])gates.Clone(), new float[n], new float[n]);
        Gates.Lstm<float>(fastGates, previousMemory, fastMemory, fastHidden, KernelKindData.Parse(kind));
        var (expectedGates, expectedMemory, expectedHidden) = (Widen(gates), new double[n], new double[n]);
        Gates.LstmReference<double>(expectedGates, Widen(previousMemory), expectedMemory, expectedHidden);
        AssertClose(expectedGates, fastGates, "i | f | g | o");
        AssertClose(expectedMemory, fastMemory, "c(t)");
        AssertClose(expectedHidden, fastHidden, "h(t)");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void GruDeltasMatchTheReference(string kind, int n)
    {
        var gates = GruGateValues(n, seed: n);
        var previous = Values(n, seed: n + 1, scale: 1);
        foreach (var withOutput in new[] { true, false })
        {
            var carry = Values(n, seed: n + 2, scale: 3);
            var output = withOutput ? Values(n, seed: n + 3, scale: 3) : [];
            var (fastCarry, fastDeltas) = ((float[])carry.Clone(), new float[3 * n]);
            var fastAny = Gates.GruDelta<float>(fastCarry, output, gates, previous, fastDeltas, Clip, KernelKindData.Parse(kind));
            var (expectedCarry, expectedDeltas) = (Widen(carry), new double[3 * n]);
            var expectedAny = Gates.GruDeltaReference<double>(expectedCarry, Widen(output), Widen(gates), Widen(previous), expectedDeltas, Clip);
            AssertClose(expectedDeltas, fastDeltas, "δz | δn");
            AssertClose(expectedCarry, fastCarry, "dh ⊙ z");
            Assert.Equal(expectedAny, fastAny);

            var resetGradient = Values(n, seed: n + 4, scale: 3);
            fastAny = Gates.GruResetDelta<float>(resetGradient, gates, previous, fastDeltas, fastCarry, Clip, KernelKindData.Parse(kind));
            expectedAny = Gates.GruResetDeltaReference<double>(Widen(resetGradient), Widen(gates), Widen(previous), expectedDeltas, expectedCarry, Clip);
            AssertClose(expectedDeltas, fastDeltas, "δr | δz | δn");
            AssertClose(expectedCarry, fastCarry, "dh ⊙ z + d(r ⊙ h) ⊙ r");
            Assert.Equal(expectedAny, fastAny);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LstmDeltasMatchTheReference(string kind, int n)
    {
        var gates = LstmGateValues(n, seed: n);
        var memory = Values(n, seed: n + 1, scale: 4);
        var previousMemory = Values(n, seed: n + 2, scale: 4);
        foreach (var withOutput in new[] { true, false })
        {
            var carry = Values(n, seed: n + 3, scale: 3);
            var output = withOutput ? Values(n, seed: n + 4, scale: 3) : [];
            var memoryCarry = Values(n, seed: n + 5, scale: 3);
            var (fastMemoryCarry, fastDeltas) = ((float[])memoryCarry.Clone(), new float[4 * n]);
            var fastAny = Gates.LstmDelta<float>(carry, output, fastMemoryCarry, gates, memory, previousMemory, fastDeltas, Clip, KernelKindData.Parse(kind));
            var (expectedMemoryCarry, expectedDeltas) = (Widen(memoryCarry), new double[4 * n]);
            var expectedAny = Gates.LstmDeltaReference<double>(Widen(carry), Widen(output), expectedMemoryCarry, Widen(gates), Widen(memory), Widen(previousMemory), expectedDeltas, Clip);
            AssertClose(expectedDeltas, fastDeltas, "δi | δf | δg | δo");
            AssertClose(expectedMemoryCarry, fastMemoryCarry, "dc ⊙ f");
            Assert.Equal(expectedAny, fastAny);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void TheSigmoidLayersDeltaMatchesTheReference(string kind, int n)
    {
        _ = kind; // one kernel, on Vector<T> where the hardware has it (the runs without SIMD take its scalar path)
        var hidden = Probabilities(n, seed: n);
        var carry = Values(n, seed: n + 1, scale: 8);
        var output = Values(n, seed: n + 2, scale: 8);
        var fast = new float[n];
        Gates.SigmoidDelta<float>(carry, output, hidden, fast, Clip);
        var expected = new double[n];
        for (var j = 0; j < n; j++)
        {
            expected[j] = Math.Clamp(((double)carry[j] + output[j]) * hidden[j] * (1 - hidden[j]), -Clip, Clip);
        }

        AssertClose(expected, fast, "δ");
    }

    [Theory]
    [MemberData(nameof(KindsOnly))]
    public void DeltasThatAreAllZeroAreReportedAsNone(string kind)
    {
        const int n = 19;
        var k = KernelKindData.Parse(kind);
        var (zeros, deltas) = (new float[n], new float[4 * n]);
        Assert.False(Gates.GruDelta<float>(new float[n], [], GruGateValues(n, 1), Values(n, 2, 1), deltas.AsSpan(0, 3 * n), Clip, k));
        Assert.False(Gates.GruResetDelta<float>(zeros, GruGateValues(n, 1), Values(n, 2, 1), deltas.AsSpan(0, 3 * n), new float[n], Clip, k));
        Assert.False(Gates.LstmDelta<float>(zeros, zeros, new float[n], LstmGateValues(n, 3), Values(n, 4, 2), Values(n, 5, 2), deltas, Clip, k));

        // One non-zero gradient in the last element, the scalar tail for every vector width.
        var carry = new float[n];
        carry[^1] = 1;
        Assert.True(Gates.GruDelta<float>(carry, [], GruGateValues(n, 1), Values(n, 2, 1), deltas.AsSpan(0, 3 * n), Clip, k));
        Assert.True(Gates.LstmDelta<float>(carry, zeros, new float[n], LstmGateValues(n, 3), Values(n, 4, 2), Values(n, 5, 2), deltas, Clip, k));
    }

    [Theory]
    [MemberData(nameof(KindsOnly))]
    public void SigmoidAndTanhAreAccurateToAFewUlpOverTheWholeRange(string kind)
    {
        // Through the kernels: r = σ(x) with h(t−1) = 1, and n = tanh(x).
        var x = Sweep();
        var n = x.Length;
        var gates = new float[2 * n];
        x.CopyTo(gates, 0);
        Gates.GruGates<float>(gates, Enumerable.Repeat(1f, n).ToArray(), new float[n], KernelKindData.Parse(kind));
        var candidate = (float[])x.Clone();
        Gates.GruHidden<float>(candidate, new float[n], new float[n], new float[n], KernelKindData.Parse(kind));
        var (worstSigmoid, worstTanh) = (0.0, 0.0);
        var (atSigmoid, atTanh) = (0f, 0f);
        for (var i = 0; i < n; i++)
        {
            var (sigmoid, tanh) = (1 / (1 + Math.Exp(-x[i])), Math.Tanh(x[i]));
            if (x[i] < -80)
            {
                // Below e^−80 the argument is held at −80: within 2e-35 of the truth, and never a denormal.
                Assert.True(gates[i] <= 2e-35 && float.IsNormal(gates[i]), $"σ({x[i]}) = {gates[i]}");
            }
            else
            {
                (worstSigmoid, atSigmoid) = Ulps(gates[i], sigmoid) > worstSigmoid ? (Ulps(gates[i], sigmoid), x[i]) : (worstSigmoid, atSigmoid);
            }

            (worstTanh, atTanh) = Ulps(candidate[i], tanh) > worstTanh ? (Ulps(candidate[i], tanh), x[i]) : (worstTanh, atTanh);
        }

        log.WriteLine($"{kind}: worst σ error {worstSigmoid:F2} ulp (at {atSigmoid:R}), worst tanh error {worstTanh:F2} ulp (at {atTanh:R}) over {n:N0} arguments");
        Assert.True(worstSigmoid <= 4, $"σ is {worstSigmoid:F2} ulp off");
        Assert.True(worstTanh <= 4, $"tanh is {worstTanh:F2} ulp off");
    }

    [Theory]
    [MemberData(nameof(KindsOnly))]
    public void AnElementsBitsAreTheSameInAVectorAndInTheTailAndOnEveryKind(string kind)
    {
        // The same values at every offset of a row, so each falls into vector lanes and into the tail; then the scalar
        // kind's bits, which every vector kind reproduces (their operations are IEEE and fused alike). On 16 lanes a row
        // of 45 is 32 + 8 + 4 + 1: a tail on each narrower width.
        var k = KernelKindData.Parse(kind);
        foreach (var n in new[] { 37, 45 })
        {
            Check(n);
        }

        void Check(int n)
        {
            var source = PreActivations(4 * (n + 20), seed: 5);
            var memory = Values(n + 24, seed: 6, scale: 3);
            float[] Run(int offset, KernelKind with)
            {
                var gates = source.AsSpan(offset, 4 * n).ToArray();
                var (c, h) = (new float[n], new float[n]);
                Gates.Lstm<float>(gates, memory.AsSpan(offset, n), c, h, with);
                var deltas = new float[4 * n];
                var memoryCarry = memory.AsSpan(offset + 1, n).ToArray();
                Gates.LstmDelta<float>(memory.AsSpan(offset + 2, n), memory.AsSpan(offset + 3, n), memoryCarry, gates, c, memory.AsSpan(offset, n), deltas, Clip, with);
                return [.. gates, .. c, .. h, .. deltas, .. memoryCarry];
            }

            for (var offset = 1; offset < 20; offset++)
            {
                // Element j at offset o is element j + 1 at offset o − 1 (shifted by one place in every block).
                var (here, before) = (Run(offset, k), Run(offset - 1, k));
                for (var block = 0; block < here.Length / n; block++)
                {
                    Assert.Equal(before.AsSpan((block * n) + 1, n - 1).ToArray(), here.AsSpan(block * n, n - 1).ToArray());
                }
            }

            Assert.Equal(Run(0, KernelKind.Scalar), Run(0, k));
        }
    }

    [Fact]
    public void SpansOfTheWrongLengthAreRefused()
    {
        var (two, three) = (new float[2], new float[3]);
        Assert.Throws<ArgumentException>(() => Gates.GruGates<float>(new float[5], two, two));
        Assert.Throws<ArgumentException>(() => Gates.GruHidden<float>(two, two, two, three));
        Assert.Throws<ArgumentException>(() => Gates.Lstm<float>(new float[7], two, two, two));
        Assert.Throws<ArgumentException>(() => Gates.GruDelta<float>(two, three, new float[6], two, new float[6], 1f));
        Assert.Throws<ArgumentException>(() => Gates.LstmDelta<float>(two, [], two, new float[8], two, two, new float[6], 1f));
    }

    public static TheoryData<string> KindsOnly() => KernelKindData.Kinds();

    // Every float from −100 to 100 at a fine step, the neighbourhood of the tanh polynomial's edge, and the extremes.
    private static float[] Sweep()
    {
        var values = new List<float>();
        for (var x = -100.0; x <= 100; x += 0.0037)
        {
            values.Add((float)x);
        }

        for (var i = -2000; i <= 2000; i++)
        {
            values.Add(0.625f + (i * 1e-6f));
            values.Add(-0.625f + (i * 1e-6f));
            values.Add(i * 1e-9f);
        }

        values.AddRange([0f, -0f, 1e-30f, -1e-30f, float.Epsilon, 1e4f, -1e4f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity]);
        return [.. values];
    }

    // The error in units of the float spacing at the true value.
    private static double Ulps(float actual, double expected)
    {
        if (expected == 0)
        {
            return actual == 0 ? 0 : double.PositiveInfinity;
        }

        var spacing = (double)MathF.BitIncrement((float)Math.Abs(expected)) - (float)Math.Abs(expected);
        return Math.Abs(actual - expected) / spacing;
    }

    // Pre-activations: mostly moderate, some large, a few beyond where the activations saturate.
    private static float[] PreActivations(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(i => (i % 11) switch
        {
            0 => (float)((random.NextDouble() - 0.5) * 200),
            1 => (float)((random.NextDouble() - 0.5) * 1e-3),
            _ => (float)((random.NextDouble() - 0.5) * 12),
        })];
    }

    private static float[] Values(int length, int seed, float scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];
    }

    private static float[] Probabilities(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble())];
    }

    // [r | z | n] after their activations: r, z in (0, 1), n in (−1, 1).
    private static float[] GruGateValues(int n, int seed) =>
        [.. Probabilities(2 * n, seed), .. Values(n, seed + 100, 1)];

    // [i | f | g | o] after their activations.
    private static float[] LstmGateValues(int n, int seed) =>
        [.. Probabilities(2 * n, seed), .. Values(n, seed + 100, 1), .. Probabilities(n, seed + 200)];

    private static double[] Widen(float[] values) => Array.ConvertAll(values, x => (double)x);

    // A few float roundings of terms of magnitude up to the value's: relative to max(1, |expected|).
    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= 2e-6 * Math.Max(1, Math.Abs(expected[i])), $"{what}, element {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }
}
