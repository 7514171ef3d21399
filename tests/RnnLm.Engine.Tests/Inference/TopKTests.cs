using RnnLm.Engine.Inference;

namespace RnnLm.Engine.Tests;

/// <summary>The most probable ids of a distribution, for <c>next</c> and top-k sampling.</summary>
public class TopKTests
{
    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(2, new[] { 1, 2 })]
    [InlineData(4, new[] { 1, 2, 4, 5 })]
    [InlineData(6, new[] { 1, 2, 4, 5, 0, 3 })]
    [InlineData(10, new[] { 1, 2, 4, 5, 0, 3 })]
    public void TopCandidatesAreSortedAndBreakTiesByTheLowerId(int k, int[] expected)
    {
        float[] probabilities = [0.1f, 0.3f, 0.3f, 0.1f, 0.3f, 0.2f];
        Assert.Equal(expected, TopK.Ids(probabilities, k));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(40)]
    public void WordsOfferedInAnyOrderGiveTheTopOfTheWholeDistribution(int k)
    {
        // Few distinct values, so most of the top ties; a class output offers its words class by class, out of id order.
        var random = new Random(k);
        var probabilities = Enumerable.Range(0, 200).Select(_ => random.Next(5) / 8f).ToArray();
        var expected = TopK.Ids(probabilities, k);
        Assert.Equal([.. Enumerable.Range(0, 200).OrderByDescending(id => probabilities[id]).ThenBy(id => id).Take(k)], expected);
        foreach (var order in new[] { Enumerable.Range(0, 200).Reverse(), Enumerable.Range(0, 200).OrderBy(_ => random.Next()) })
        {
            var best = new TopK.Best(k);
            foreach (var id in order)
            {
                best.Offer(id, probabilities[id]);
            }

            var drained = best.Drain();
            Assert.Equal(expected, drained.Select(x => x.Id));
            Assert.Equal(expected.Select(id => probabilities[id]), drained.Select(x => x.Probability));
        }
    }
}
