using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Tests.NGram;

/// <summary>The estimator against the hand-worked trigram model of <see cref="HandCorpus"/>.</summary>
public sealed class KneserNeyEstimatorTests
{
    private const double Exact = 1e-12;

    private readonly NGramEstimate _estimate = HandCorpus.Estimate();

    [Fact]
    public void CountOfCountsAreThoseOfTheAdjustedCountsWithSentenceStartNGramsKeepingRawCounts()
    {
        Assert.Equal([1L, 1, 1, 1], _estimate.CountOfCounts[0]);
        Assert.Equal([5L, 2, 2, 1], _estimate.CountOfCounts[1]);
        Assert.Equal([6L, 2, 1, 1], _estimate.CountOfCounts[2]);
    }

    [Fact]
    public void EachOrderHasItsThreeDiscounts()
    {
        // Y = n1 / (n1 + 2 n2); D1 = 1 − 2Y n2/n1, D2 = 2 − 3Y n3/n2, D3+ = 3 − 4Y n4/n3.
        // Unigrams 1,1,1,1: Y = 1/3; D1 = 1 − 2/3 = 1/3, D2 = 2 − 1 = 1, D3+ = 3 − 4/3 = 5/3.
        AssertDiscounts(_estimate.Discounts[0], 1.0 / 3, 1, 5.0 / 3);

        // Bigrams 5,2,2,1: Y = 5/9; D1 = 1 − (10/9)(2/5) = 5/9, D2 = 2 − (15/9)(2/2) = 1/3, D3+ = 3 − (20/9)(1/2) = 17/9.
        AssertDiscounts(_estimate.Discounts[1], 5.0 / 9, 1.0 / 3, 17.0 / 9);

        // Trigrams 6,2,1,1: Y = 3/5; D1 = 1 − (6/5)(2/6) = 3/5, D2 = 2 − (9/5)(1/2) = 11/10, D3+ = 3 − (12/5)(1/1) = 3/5.
        AssertDiscounts(_estimate.Discounts[2], 3.0 / 5, 11.0 / 10, 3.0 / 5);
    }

    [Fact]
    public void UnigramsInterpolateWithTheUniformDistributionAndUnknownGetsTheLeftOverMass()
    {
        // a(·) = 4 + 3 + 2 + 1 + 0 = 10; γ = (D1·1 + D2·1 + D3+·2) / 10 = (1/3 + 1 + 10/3) / 10 = 7/15; |V| = 5 (a b c </s> <unk>).
        // p(<unk>) = γ/5 = 7/75; p(b) = (3 − 5/3)/10 + 7/75 = 17/75; p(c) = (4 − 5/3)/10 + 7/75 = 49/150; p(a) = (1 − 1/3)/10 + 7/75 = 4/25.
        AssertProb(7.0 / 75, "<unk>");
        AssertProb(17.0 / 75, "b");
        AssertProb(49.0 / 150, "c");
        AssertProb(4.0 / 25, "a");
        Assert.Equal(KneserNeyEstimator.StartLogProb, Entry("<s>").LogProb);
    }

    [Fact]
    public void HigherOrdersInterpolateWithTheNextLowerOne()
    {
        // Context c: c </s> 3, c b 1, c c 1; a(c·) = 5, γ(c) = (D1·2 + D3+·1)/5 = (10/9 + 17/9)/5 = 3/5.
        // p(b | c) = (1 − 5/9)/5 + (3/5)(17/75) = 4/45 + 17/125 = 253/1125.
        AssertProb(253.0 / 1125, "c", "b");

        // Context a: a c 1; γ(a) = (5/9)/1. p(c | a) = (1 − 5/9) + (5/9)(49/150) = 169/270.
        // Context <s> a: <s> a c 3; γ = (3/5)/3 = 1/5. p(c | <s> a) = (3 − 3/5)/3 + (1/5)(169/270) = 1249/1350.
        AssertProb(1249.0 / 1350, "<s>", "a", "c");

        // Context a c: a c b 2, a c c 1; a = 3, γ(a c) = (11/10 + 3/5)/3 = 17/30. p(b | a c) = (2 − 11/10)/3 + (17/30)(253/1125) = 7213/16875.
        AssertProb(7213.0 / 16875, "a", "c", "b");
    }

    [Fact]
    public void BackOffWeightsAreTheInterpolationWeightsOfEachContext()
    {
        // γ(<s>) over <s> c 4, <s> a 3, <s> b 2: a = 9, (D3+·2 + D2·1)/9 = (34/9 + 1/3)/9 = 37/81.
        AssertBackoff(37.0 / 81, "<s>");
        AssertBackoff(3.0 / 5, "c");
        AssertBackoff(17.0 / 30, "a", "c");

        // Context <s> c: <s> c </s> 4; γ = (3/5)/4 = 3/20.
        AssertBackoff(3.0 / 20, "<s>", "c");

        // Never a context: no back-off weight (log10 1 = 0); the highest order never has one.
        Assert.Equal(0, Entry("a", "c", "b").LogBackoff);
        Assert.Equal(0, Entry("c", "</s>").LogBackoff);
    }

    [Fact]
    public void TheEstimateHoldsEveryNGramSeenAndNoOther()
    {
        Assert.Equal(6, _estimate.Entries[0].Count);
        Assert.Equal(10, _estimate.Entries[1].Count);
        Assert.Equal(10, _estimate.Entries[2].Count);
        Assert.Null(_estimate.Find("b", "a"));
        Assert.Equal(["</s>", "<s>", "<unk>", "a", "b", "c"], _estimate.Words.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnOrderTooHighForTheTextSaysWhichOrderCannotBeEstimated()
    {
        // Under a 4-gram model the trigrams count left extensions: a c b and c b </s> drop to 1, <s> b </s> stays 1,
        // and no trigram is left with adjusted count 2, so n2 = 0 leaves the trigram discounts undefined.
        var error = Assert.Throws<InvalidDataException>(() => HandCorpus.Estimate(order: 4));
        Assert.Contains("No 3-gram has adjusted count 2", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void AnOrderOutsideOneToSixIsRefused(int order) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => HandCorpus.Estimate(order));

    private static void AssertDiscounts(Discounts actual, double d1, double d2, double d3)
    {
        Assert.Equal(d1, actual.D1, Exact);
        Assert.Equal(d2, actual.D2, Exact);
        Assert.Equal(d3, actual.D3Plus, Exact);
    }

    private void AssertProb(double expected, params string[] words) => Assert.Equal(Math.Log10(expected), Entry(words).LogProb, Exact);

    private void AssertBackoff(double expected, params string[] words) => Assert.Equal(Math.Log10(expected), Entry(words).LogBackoff, Exact);

    private NGramEntry Entry(params string[] words) => _estimate.Find(words) ?? throw new InvalidOperationException($"No n-gram '{string.Join(' ', words)}'.");
}
