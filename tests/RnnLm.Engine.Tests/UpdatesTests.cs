using RnnLm.Engine.Numerics;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The optimisers' element-wise steps and the gradient's squared norm (<see cref="Updates"/>), vectorized and scalar,
/// against the plain rules in double; every element's bits are the same wherever it falls in a span, which is what keeps
/// training independent of how the team splits the step.
/// </summary>
public class UpdatesTests
{
    private const float Rate = 0.1f;
    private const float Scale = 0.125f;
    private const float Keep = 1 - 3e-4f;
    private static readonly float Epsilon = 1e-10f;

    // Every length 0..70 covers each tail of vector widths up to 16 floats; 1,000 and 5,000 are rows and whole tensors.
    public static TheoryData<bool, int> Lengths()
    {
        var data = new TheoryData<bool, int>();
        foreach (var vectorized in new[] { true, false })
        {
            foreach (var length in Enumerable.Range(0, 71).Concat([1_000, 5_000]))
            {
                data.Add(vectorized, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TheSgdStepIsThePlainRuleOnEveryElementAndClearsTheGradient(bool vectorized, int length)
    {
        var (weights, gradient, _) = Random(length, seed: length);
        var (w0, g0) = (weights.ToArray(), gradient.ToArray());
        Updates.Sgd<float>(weights, gradient, Rate, Scale, Keep, vectorized);
        for (var i = 0; i < length; i++)
        {
            Assert.Equal((w0[i] * Keep) - (Rate * (Scale * g0[i])), weights[i]);
            var exact = ((double)w0[i] * Keep) - ((double)Rate * Scale * g0[i]);
            Assert.True(Math.Abs(weights[i] - exact) <= 1e-6 * Math.Max(1, Math.Abs(exact)), $"element {i}: {weights[i]} against {exact}");
        }

        Assert.All(gradient, g => Assert.Equal(0f, g));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TheAdaGradStepIsThePlainRuleOnEveryElementAndClearsTheGradient(bool vectorized, int length)
    {
        var (weights, gradient, accumulators) = Random(length, seed: length + 100);
        var (w0, g0, a0) = (weights.ToArray(), gradient.ToArray(), accumulators.ToArray());
        Updates.AdaGrad<float>(weights, gradient, accumulators, Rate, Scale, Keep, Epsilon, vectorized);
        for (var i = 0; i < length; i++)
        {
            var g = Scale * g0[i];
            var a = a0[i] + (g * g);
            Assert.Equal(a, accumulators[i]);
            Assert.Equal((w0[i] * Keep) - (Rate * g / (MathF.Sqrt(a) + Epsilon)), weights[i]);
            var exactA = a0[i] + ((double)Scale * g0[i] * Scale * g0[i]);
            var exact = ((double)w0[i] * Keep) - ((double)Rate * Scale * g0[i] / (Math.Sqrt(exactA) + Epsilon));
            Assert.True(Math.Abs(weights[i] - exact) <= 1e-6 * Math.Max(1, Math.Abs(exact)), $"element {i}: {weights[i]} against {exact}");
        }

        Assert.All(gradient, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void AdaGradsFirstStepMovesEachWeightByTheRateWhateverItsGradientsSize()
    {
        float[] weights = [0, 0, 0];
        float[] gradient = [1e-3f, -5f, 2e4f];
        Updates.AdaGrad<float>(weights, gradient, new float[3], Rate, 1, 1, Epsilon);
        Assert.Equal(-Rate, weights[0], 1e-6f);
        Assert.Equal(Rate, weights[1], 1e-6f);
        Assert.Equal(-Rate, weights[2], 1e-6f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnElementGetsTheSameBitsWhereverASplitOfTheSpanPutsIt(bool vectorized)
    {
        const int length = 203;
        var (weights, gradient, accumulators) = Random(length, seed: 7);
        var (w, g, a) = (weights.ToArray(), gradient.ToArray(), accumulators.ToArray());
        Updates.AdaGrad<float>(weights, gradient, accumulators, Rate, Scale, Keep, Epsilon, vectorized);
        Updates.Sgd<float>(weights, Random(length, seed: 8).Gradient, Rate, Scale, Keep, vectorized);
        foreach (var cut in new[] { 1, 5, 8, 17, 100, 202 })
        {
            var (ws, gs, as_) = (w.ToArray(), g.ToArray(), a.ToArray());
            var second = Random(length, seed: 8).Gradient;
            foreach (var (from, to) in new[] { (0, cut), (cut, length) })
            {
                Updates.AdaGrad<float>(ws.AsSpan(from, to - from), gs.AsSpan(from, to - from), as_.AsSpan(from, to - from), Rate, Scale, Keep, Epsilon, vectorized);
                Updates.Sgd<float>(ws.AsSpan(from, to - from), second.AsSpan(from, to - from), Rate, Scale, Keep, vectorized);
            }

            Assert.Equal(weights, ws);
            Assert.Equal(accumulators, as_);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TheSumOfSquaresMatchesTheDoubleReferenceAndIsTheSameEveryTime(bool vectorized, int length)
    {
        var values = Random(length, seed: length + 200).Gradient;
        var reference = values.Sum(v => (double)v * v);
        var sum = Updates.SumOfSquares<float>(values, vectorized);
        Assert.True(Math.Abs(sum - reference) <= 1e-6 * reference, $"{sum} against {reference}");
        Assert.Equal(sum, Updates.SumOfSquares<float>(values, vectorized));
        Assert.Equal(reference, Updates.SumOfSquares<double>(values.Select(v => (double)v).ToArray(), vectorized), 1e-12 * Math.Max(1, reference));
    }

    [Fact]
    public void SpansOfDifferentLengthsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Updates.Sgd<float>(new float[3], new float[2], Rate, Scale, Keep));
        Assert.Throws<ArgumentException>(() => Updates.AdaGrad<float>(new float[3], new float[3], new float[4], Rate, Scale, Keep, Epsilon));
    }

    // Weights in ±1, gradients of mixed sizes (some zero), accumulators ≥ 0.
    private static (float[] Weights, float[] Gradient, float[] Accumulators) Random(int length, int seed)
    {
        var random = new Random(seed);
        var weights = new float[length];
        var gradient = new float[length];
        var accumulators = new float[length];
        for (var i = 0; i < length; i++)
        {
            weights[i] = (float)((random.NextDouble() * 2) - 1);
            gradient[i] = i % 11 == 3 ? 0 : (float)(((random.NextDouble() * 2) - 1) * Math.Pow(10, random.Next(-3, 3)));
            accumulators[i] = i % 5 == 0 ? 0 : (float)(random.NextDouble() * 4);
        }

        return (weights, gradient, accumulators);
    }
}
