using RnnLm.Engine.Data;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests.Interpolation;

/// <summary>λ is the maximum of the validation likelihood: checked on cases solved by hand and against its neighbours.</summary>
public sealed class LambdaTunerTests
{
    [Fact]
    public void TwoTokensSolvedByHand()
    {
        // p = (0.9, 0.2), q = (0.1, 0.4): L'(λ) = 0.8/(0.1 + 0.8λ) − 0.2/(0.4 − 0.2λ) = 0 ⇔ 0.32 − 0.16λ = 0.02 + 0.16λ ⇔ λ = 0.9375.
        Assert.Equal(0.9375, LambdaTuner.Fit(Logs(0.9, 0.2), Logs(0.1, 0.4)), 1e-10);
    }

    [Fact]
    public void TokensOnlyOneModelCanPredictGiveTheirShare()
    {
        // Three tokens only the RNN gives probability to, one only the n-gram does: L = 3 ln λ + ln(1 − λ) + const, λ = 3/4.
        var none = double.NegativeInfinity;
        Assert.Equal(0.75, LambdaTuner.Fit([-1, -2, -0.5, none], [none, none, none, -3]), 1e-10);
    }

    [Fact]
    public void AModelBetterOnEveryTokenTakesAllTheWeight()
    {
        Assert.Equal(1, LambdaTuner.Fit(Logs(0.5, 0.6), Logs(0.1, 0.2)));
        Assert.Equal(0, LambdaTuner.Fit(Logs(0.1, 0.2), Logs(0.5, 0.6)));
    }

    [Fact]
    public void TheFitIsAFixedPointOfEmAndBeatsItsNeighbours()
    {
        var model = MixturePairs.Different(OutputKind.Classes, seed: 7);
        var sentences = new[] { "a b d", "c c a", "zebra b e a", "a", "b c d e c", "d d d" }.Select(s => (IReadOnlyList<string>)TextCorpus.Tokens(s)).ToArray();
        var components = model.CorpusComponents(sentences);
        var lambda = components.FitLambda();
        Assert.InRange(lambda, 0.01, 0.99);
        var (p, q) = (components.RnnLogProbs.ToArray().Select(Math.Exp).ToArray(), components.NGramLogProbs.ToArray().Select(Math.Exp).ToArray());
        var em = p.Select((pt, t) => lambda * pt / ((lambda * pt) + ((1 - lambda) * q[t]))).Average();
        Assert.Equal(lambda, em, 1e-9);
        var best = components.Mix(lambda).LogProb;
        Assert.True(best > components.Mix(lambda - 0.01).LogProb);
        Assert.True(best > components.Mix(lambda + 0.01).LogProb);
    }

    [Fact]
    public void SpansOfDifferentLengthsAreRefused() =>
        Assert.Throws<ArgumentException>(() => LambdaTuner.Fit([-1, -2], [-1]));

    private static double[] Logs(params double[] probabilities) => [.. probabilities.Select(p => Math.Log(p))];
}
