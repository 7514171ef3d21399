using System.Buffers.Binary;
using System.Security.Cryptography;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

// A tree output's file: version 4, its tree stored as each inner node's children just before the weights, and a damaged
// tree refused with a message that says so.
public sealed partial class ModelFileTests
{
    [Fact]
    public void ATreeModelIsAVersion4FileThatKeepsItsTreeAndScoresIdentically()
    {
        // A tree that is not the Huffman tree of the counts: the file must keep it, not rebuild one from the counts.
        var model = SmallModel(OutputKind.Tree, seed: 5);
        var v = model.Vocabulary.Count;
        int[] chain = [.. Enumerable.Range(0, v - 1).SelectMany(n => n == 0 ? new[] { 0, 1 } : [v + n - 1, n + 1])];
        var chained = new LanguageModel(model.Vocabulary, null, model.Parameters, Metadata, new WordTree(chain, v));
        Assert.NotEqual(model.Tree!.Children.ToArray(), chain);

        var bytes = Save(chained, WeightEncoding.Float32);
        Assert.Equal(4u, ReadUInt32(bytes, VersionOffset));
        Assert.Equal((uint)OutputKind.Tree, ReadUInt32(bytes, OutputOffset));
        Assert.Equal(0u, ReadUInt32(bytes, ClassCountOffset));
        var loaded = RoundTrip(chained, WeightEncoding.Float32);
        Assert.Equal(chain, loaded.Tree!.Children.ToArray());
        Assert.Equal(chained.Shape, ModelFile.Check(new MemoryStream(bytes)));
        foreach (var sentence in Sentences(model))
        {
            Assert.Equal(chained.Score(sentence).Tokens, loaded.Score(sentence).Tokens);
            // The chain and the Huffman tree are different models over the same weights.
            Assert.NotEqual(model.Score(sentence).LogProb, loaded.Score(sentence).LogProb);
        }
    }

    public static TheoryData<string, Func<int[], int, int[]>> DamagedTrees() => new()
    {
        { "outside", (children, v) => With(children, 0, -1) },
        { "outside", (children, v) => With(children, 2, v + 1) }, // inner node 1 naming itself: a cycle
        { "two parents", (children, v) => With(children, 1, children[0]) },
        { "outside", (children, v) => With(children, children.Length - 1, (2 * v) - 2) }, // the root as a child
    };

    [Theory]
    [MemberData(nameof(DamagedTrees))]
    public void ADamagedTreeSectionIsRefusedAsAnInvalidWordTree(string phrase, Func<int[], int, int[]> damage)
    {
        var model = SmallModel(OutputKind.Tree, seed: 6);
        var v = model.Vocabulary.Count;
        var bytes = Save(model, WeightEncoding.Float32);
        var at = bytes.Length - ChecksumLength - (4 * (int)model.Shape.ParameterCount) - (8 * (v - 1));
        var children = model.Tree!.Children.ToArray();
        for (var i = 0; i < children.Length; i++)
        {
            Assert.Equal(children[i], BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + (4 * i))));
        }

        var damaged = damage(children, v);
        for (var i = 0; i < damaged.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + (4 * i)), damaged[i]);
        }

        // A consistent checksum: the tree's own check must catch it.
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumLength), bytes.AsSpan(bytes.Length - ChecksumLength));
        var error = AssertLoadFails(bytes, "invalid word tree", phrase);
        Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATreeOutputInAnOlderVersionAndAnotherOutputInVersion4AreRefused()
    {
        var tree = Save(SmallModel(OutputKind.Tree, seed: 7), WeightEncoding.Float32);
        AssertLoadFails(PatchUInt32(tree, VersionOffset, 3), "needs format version 4", "a tree in version 3");
        var classes = Save(SmallModel(OutputKind.Classes, seed: 7), WeightEncoding.Float32);
        AssertLoadFails(PatchUInt32(classes, VersionOffset, 4), "holds a tree output only", "classes in version 4");
    }

    [Fact]
    public void ATreeCannotBeTiedOrHaveDirectConnections()
    {
        Assert.Contains("cannot be tied", Assert.Throws<ArgumentException>(() => new ModelShape(12, 5, 5, OutputKind.Tree, 0, Tied: true).Validate()).Message);
        Assert.Contains("direct connections", Assert.Throws<ArgumentException>(() => new ModelShape(12, 5, 5, OutputKind.Tree, 0, DirectSize: 10, DirectOrder: 2).Validate()).Message);
        Assert.Contains("no classes", Assert.Throws<ArgumentException>(() => new ModelShape(12, 5, 5, OutputKind.Tree, 3).Validate()).Message);
    }

    private static int[] With(int[] values, int index, int value)
    {
        var copy = (int[])values.Clone();
        copy[index] = value;
        return copy;
    }
}
