using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

public class WordTreeTests
{
    [Fact]
    public void TheHuffmanTreeOfTheCountsHasTheShortestExpectedPathAndNoOther()
    {
        // Counts 1, 1, 2, 4, 8: a Huffman tree is a chain, paths of lengths 4, 4, 3, 2, 1 (expected length 1.94).
        var tree = WordTree.FromCounts([8, 4, 2, 1, 1]);
        Assert.Equal([1, 2, 3, 4, 4], Enumerable.Range(0, 5).Select(w => tree.Path(w).Length));
        Assert.Equal(4, tree.Depth);
        Assert.Equal(3, tree.Path(0)[0]); // the root, |V| − 2, starts every path
        Assert.All(Enumerable.Range(0, 5), w => Assert.Equal(3, tree.Path(w)[0]));
    }

    [Fact]
    public void EveryWordIsALeafReachedByItsPathAndBranches()
    {
        var random = new Random(3);
        long[] counts = [.. Enumerable.Range(0, 500).Select(_ => (long)random.Next(0, 1000))];
        var tree = WordTree.FromCounts(counts);
        var (v, children) = (counts.Length, tree.Children.ToArray());
        for (var w = 0; w < v; w++)
        {
            // Down from the root by the branches, through the nodes of the path, to the word.
            var (path, branches) = (tree.Path(w).ToArray(), tree.Branches(w).ToArray());
            var node = v - 2;
            for (var j = 0; j < path.Length; j++)
            {
                Assert.Equal(node, path[j]);
                var child = children[(2 * node) + branches[j]];
                node = child - v;
                Assert.Equal(j == path.Length - 1, child < v);
                if (j == path.Length - 1)
                {
                    Assert.Equal(w, child);
                }
            }
        }

        // More frequent words never lie deeper (a Huffman tree's property).
        var byCount = Enumerable.Range(0, v).OrderByDescending(w => Math.Max(counts[w], 1)).ToArray();
        for (var i = 1; i < v; i++)
        {
            Assert.True(Math.Max(counts[byCount[i]], 1) == Math.Max(counts[byCount[i - 1]], 1) || tree.Path(byCount[i]).Length >= tree.Path(byCount[i - 1]).Length);
        }
    }

    [Fact]
    public void TheSameCountsGiveTheSameTreeAndTiesGoToTheLowerId()
    {
        long[] counts = [5, 5, 5, 5, 5, 5, 5];
        Assert.Equal(WordTree.FromCounts(counts).Children.ToArray(), WordTree.FromCounts(counts).Children.ToArray());
        // Equal counts: words 0 and 1 join first, then 2 and 3, then 4 and 5, then 6 with the first inner node.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], WordTree.FromCounts(counts).Children[..8].ToArray());
    }

    [Theory]
    [InlineData(new[] { 0, 1, 1, 2 }, "two parents")]
    [InlineData(new[] { 0, 1, 2, 4 }, "outside")]
    [InlineData(new[] { 0, -1, 2, 3 }, "outside")]
    [InlineData(new[] { 0, 1, 2 }, "inner nodes")]
    public void ChildrenThatAreNotOneTreeAreRefused(int[] children, string phrase)
    {
        Assert.Contains(phrase, Assert.Throws<ArgumentException>(() => new WordTree(children, 3)).Message);
    }
}
