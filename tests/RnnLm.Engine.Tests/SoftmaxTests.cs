using System.Numerics;
using MathNet.Numerics.Distributions;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The Vector&lt;float&gt; softmax kernel and the scalar path of machines without SIMD against the scalar
/// double-precision reference: accuracy over lengths that cover every tail shape of the vector width, stability
/// at extreme logits, and the span contract.
/// </summary>
public class SoftmaxTests
{
    public enum Distribution
    {
        StandardNormal,
        WideNormal,
        Uniform50,
    }

    // Every length 1..70 covers all tail shapes for vector widths up to 16 floats (AVX-512) several times over;
    // the long lengths are a typical hidden-layer-sized row, the Brown vocabulary (14,114) and a round 20,000.
    public static TheoryData<bool, int> Lengths() => OnEveryPath(Enumerable.Range(1, 70).Concat([2_000, 14_114, 20_000]));

    public static TheoryData<bool, int> ExtremeLengths() => OnEveryPath([1, 7, 8, 33, 2_000, 20_000]);

    public static TheoryData<bool, int> InPlaceLengths() => OnEveryPath([1, 3, 8, 29, 64, 2_000, 14_114]);

    public static TheoryData<bool, int> NaNLengths() => OnEveryPath([1, 9, 40]);

    public static TheoryData<bool, int, float> EqualLogits()
    {
        var data = new TheoryData<bool, int, float>();
        foreach (var vectorized in Paths)
        {
            foreach (var (length, value) in new[] { (1, 0f), (5, 3.25f), (16, -1e4f), (17, 1e4f), (64, -7.5f), (2_000, 0f), (14_114, 42f), (20_000, -1e4f) })
            {
                data.Add(vectorized, length, value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void FastSoftmaxMatchesTheDoubleReferenceForEveryDistributionAndLength(bool vectorized, int length)
    {
        foreach (var distribution in Enum.GetValues<Distribution>())
        {
            var logits = RandomLogits(distribution, length, seed: (length * 31) + (int)distribution);
            var fast = new float[length];
            var reference = new double[length];
            var fastLse = Softmax.Compute(logits, fast, vectorized);
            var referenceLse = Softmax.ComputeReference(logits, reference);

            var (worst, worstIndex) = MaxAbsDifference(fast, reference);
            Assert.True(worst <= 1e-6, $"{distribution}, n = {length}: |fast − reference| = {worst:E3} at index {worstIndex} (Vector<float>.Count = {Vector<float>.Count})");
            AssertRelativelyClose(referenceLse, fastLse, 1e-4, $"{distribution}, n = {length}: log-sum-exp");
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LogSumExpAgreesWithTheValueComputeReturns(bool vectorized, int length)
    {
        foreach (var distribution in Enum.GetValues<Distribution>())
        {
            var logits = RandomLogits(distribution, length, seed: (length * 17) + (int)distribution);
            var fromCompute = Softmax.Compute(logits, new float[length], vectorized);
            var fromLogSumExp = Softmax.LogSumExp(logits, vectorized);
            AssertRelativelyClose(fromCompute, fromLogSumExp, 1e-6, $"{distribution}, n = {length}");
        }
    }

    [Theory]
    [MemberData(nameof(ExtremeLengths))]
    public void LogitsOfPlusOrMinusTenThousandGiveAFiniteNormalizedDistribution(bool vectorized, int length)
    {
        var random = new Random(length);
        var spikes = new float[length];
        var spread = new float[length];
        for (var i = 0; i < length; i++)
        {
            spikes[i] = random.Next(2) == 0 ? -1e4f : 1e4f;
            spread[i] = (float)((random.NextDouble() * 2e4) - 1e4);
        }

        foreach (var (name, logits) in new[] { ("±1e4", spikes), ("U(-1e4, 1e4)", spread) })
        {
            var probabilities = new float[length];
            var lse = Softmax.Compute(logits, probabilities, vectorized);
            var reference = new double[length];
            var referenceLse = Softmax.ComputeReference(logits, reference);

            Assert.True(float.IsFinite(lse), $"{name}, n = {length}: log-sum-exp {lse}");
            var bad = Array.FindIndex(probabilities, p => !float.IsFinite(p) || p < 0);
            Assert.True(bad < 0, $"{name}, n = {length}: probability {(bad < 0 ? 0 : probabilities[bad])} at index {bad}");
            var sum = probabilities.Sum(p => (double)p);
            Assert.True(Math.Abs(sum - 1) <= 1e-5, $"{name}, n = {length}: probabilities sum to {sum:R}");
            var (worst, at) = MaxAbsDifference(probabilities, reference);
            Assert.True(worst <= 1e-6, $"{name}, n = {length}: |fast − reference| = {worst:E3} at index {at}");

            AssertRelativelyClose(referenceLse, lse, 1e-4, $"{name}, n = {length}: log-sum-exp");
            AssertRelativelyClose(referenceLse, Softmax.LogSumExp(logits, vectorized), 1e-4, $"{name}, n = {length}: LogSumExp");
        }
    }

    [Theory]
    [MemberData(nameof(EqualLogits))]
    public void AllEqualLogitsGiveAnExactlyUniformDistribution(bool vectorized, int length, float value)
    {
        var logits = Enumerable.Repeat(value, length).ToArray();
        var probabilities = new float[length];
        var lse = Softmax.Compute(logits, probabilities, vectorized);

        var (worst, at) = MaxAbsDifference(probabilities, Enumerable.Repeat(1.0 / length, length).ToArray());
        Assert.True(worst <= 1e-7, $"n = {length}: {probabilities[Math.Max(at, 0)]:R} at index {at} is not 1/{length}");
        Assert.True(Math.Abs(probabilities.Sum(p => (double)p) - 1) <= 1e-5);
        // log Σ exp(v) = v + log n.
        AssertRelativelyClose(value + Math.Log(length), lse, 1e-6, $"n = {length}: log-sum-exp");
    }

    [Theory]
    [MemberData(nameof(InPlaceLengths))]
    public void InPlaceUseGivesTheSameResultAsASeparateDestination(bool vectorized, int length)
    {
        var logits = RandomLogits(Distribution.WideNormal, length, seed: length);
        var separate = new float[length];
        var separateLse = Softmax.Compute(logits, separate, vectorized);

        var buffer = (float[])logits.Clone();
        var inPlaceLse = Softmax.Compute(buffer, buffer, vectorized);

        Assert.Equal(separateLse, inPlaceLse);
        Assert.Equal(separate, buffer);
    }

    [Fact]
    public void AnEmptySpanOrALengthMismatchIsAnArgumentException()
    {
        Assert.Throws<ArgumentException>(() => Softmax.Compute([], []));
        Assert.Throws<ArgumentException>(() => Softmax.Compute([], new float[1]));
        Assert.Throws<ArgumentException>(() => Softmax.Compute(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Softmax.Compute(new float[4], new float[3]));
        Assert.Throws<ArgumentException>(() => Softmax.Compute(new float[17], []));
        Assert.Throws<ArgumentException>(() => Softmax.LogSumExp([]));
        Assert.Throws<ArgumentException>(() => Softmax.ComputeReference([], []));
        Assert.Throws<ArgumentException>(() => Softmax.ComputeReference(new float[5], new double[6]));
        Assert.Throws<ArgumentException>(() => Softmax.Compute<double>(new double[5], new double[4]));
        Assert.Throws<ArgumentException>(() => Softmax.Compute<double>([], []));
    }

    [Fact]
    public void ALengthMismatchLeavesTheDestinationUntouched()
    {
        var destination = new float[] { 9, 9, 9 };
        Assert.Throws<ArgumentException>(() => Softmax.Compute(new float[] { 1, 2, 3, 4 }, destination));
        Assert.Equal([9f, 9f, 9f], destination);
    }

    [Theory]
    [MemberData(nameof(NaNLengths))]
    public void NaNInGivesNaNOut(bool vectorized, int length)
    {
        var logits = RandomLogits(Distribution.StandardNormal, length, seed: 5);
        logits[length / 2] = float.NaN;
        var probabilities = new float[length];
        Assert.True(float.IsNaN(Softmax.Compute(logits, probabilities, vectorized)));
        Assert.True(float.IsNaN(Softmax.LogSumExp(logits, vectorized)));
        Assert.All(probabilities, p => Assert.True(float.IsNaN(p)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(2_000)]
    public void TheGenericDoublePathMatchesTheReference(int length)
    {
        var logits = RandomLogits(Distribution.Uniform50, length, seed: 3);
        var reference = new double[length];
        var referenceLse = Softmax.ComputeReference(logits, reference);
        var asDouble = logits.Select(x => (double)x).ToArray();
        var generic = new double[length];
        var genericLse = Softmax.Compute<double>(asDouble, generic);

        AssertRelativelyClose(referenceLse, genericLse, 1e-12, "log-sum-exp");
        var worst = generic.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-14, $"|generic − reference| = {worst:E3}");
    }

    [Fact]
    public void TheGenericFloatPathIsTheFastKernel()
    {
        var logits = RandomLogits(Distribution.WideNormal, 37, seed: 9);
        var fast = new float[37];
        var generic = new float[37];
        Assert.Equal(Softmax.Compute(logits, fast), Softmax.Compute<float>(logits, generic));
        Assert.Equal(fast, generic);
    }

    // The vector path where this machine has SIMD, and always the scalar path of machines without it.
    private static bool[] Paths => Vector.IsHardwareAccelerated ? [true, false] : [false];

    private static TheoryData<bool, int> OnEveryPath(IEnumerable<int> lengths)
    {
        var data = new TheoryData<bool, int>();
        foreach (var vectorized in Paths)
        {
            foreach (var length in lengths)
            {
                data.Add(vectorized, length);
            }
        }

        return data;
    }

    // The largest |actual − expected| and its index (−1 when all are equal).
    private static (double Worst, int Index) MaxAbsDifference(float[] actual, double[] expected)
    {
        var (worst, index) = (0.0, -1);
        for (var i = 0; i < actual.Length; i++)
        {
            var diff = Math.Abs(actual[i] - expected[i]);
            if (diff > worst || double.IsNaN(diff))
            {
                (worst, index) = (double.IsNaN(diff) ? double.PositiveInfinity : diff, i);
            }
        }

        return (worst, index);
    }

    private static float[] RandomLogits(Distribution distribution, int length, int seed)
    {
        var random = new Random(seed);
        var logits = new float[length];
        for (var i = 0; i < length; i++)
        {
            logits[i] = distribution switch
            {
                Distribution.StandardNormal => (float)Normal.Sample(random, 0, 1),
                Distribution.WideNormal => (float)Normal.Sample(random, 0, 10),
                Distribution.Uniform50 => (float)ContinuousUniform.Sample(random, -50, 50),
                _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
            };
        }

        return logits;
    }

    // Relative tolerance with a floor of 1: a log-sum-exp near zero is compared absolutely.
    private static void AssertRelativelyClose(double expected, double actual, double tolerance, string what)
    {
        var error = Math.Abs(actual - expected) / Math.Max(1, Math.Abs(expected));
        Assert.True(error <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (relative error {error:E2})");
    }
}
