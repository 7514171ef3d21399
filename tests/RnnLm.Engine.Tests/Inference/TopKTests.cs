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
}
