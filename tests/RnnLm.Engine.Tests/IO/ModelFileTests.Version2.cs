using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>Version 2 files: a gated cell or direct connections, written and read back exactly, and their own fields checked.</summary>
public sealed partial class ModelFileTests
{
    // Version 2 adds cell kind, direct size and direct order after the encoding; the metadata length follows them.
    private const int CellOffset = 36;
    private const int DirectSizeOffset = 40;
    private const int DirectOrderOffset = 44;

    [Theory]
    [InlineData(CellKind.Gru, 0, 0, WeightEncoding.Float32)]
    [InlineData(CellKind.Lstm, 0, 0, WeightEncoding.Float32)]
    [InlineData(CellKind.Sigmoid, 97, 3, WeightEncoding.Float32)]
    [InlineData(CellKind.Lstm, 64, 5, WeightEncoding.Float16)]
    [InlineData(CellKind.Sigmoid, 1_000, 2, WeightEncoding.Float16)]
    public void AVersion2FileHoldsTheCellAndTheDirectConnectionsExactly(CellKind cell, int directSize, int directOrder, WeightEncoding encoding)
    {
        var model = Version2Model(cell, directSize, directOrder, seed: 21);
        var bytes = Serialize(model, encoding);
        Assert.Equal(2u, ReadUInt32(bytes, VersionOffset));
        Assert.Equal((uint)cell, ReadUInt32(bytes, CellOffset));
        Assert.Equal((uint)directSize, ReadUInt32(bytes, DirectSizeOffset));
        Assert.Equal((uint)directOrder, ReadUInt32(bytes, DirectOrderOffset));
        var width = encoding == WeightEncoding.Float16 ? 2 : 4;
        Assert.Equal(Preamble(model) + (width * model.Shape.ParameterCount) + ChecksumLength, bytes.Length);

        var loaded = ModelFile.Deserialize(bytes);
        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Shape, ModelFile.Check(new MemoryStream(bytes)));
        foreach (var ((name, expected), (_, actual)) in model.Parameters.Tensors().Zip(loaded.Parameters.Tensors()))
        {
            var rounded = encoding == WeightEncoding.Float16 ? [.. expected.Select(x => (float)(Half)x)] : expected;
            Assert.True(rounded.AsSpan().SequenceEqual(actual), $"tensor {name}");
        }
    }

    [Fact]
    public void AGatedCellHasOneBlockOfColumnsPerGate()
    {
        foreach (var (cell, gates) in new[] { (CellKind.Sigmoid, 1), (CellKind.Gru, 3), (CellKind.Lstm, 4) })
        {
            var p = Version2Model(cell, 0, 0, seed: 1).Parameters;
            var (d, dh) = (p.Shape.Embedding, p.Shape.Hidden);
            Assert.Equal((gates, d * gates * dh, dh * gates * dh, gates * dh), (p.Shape.Gates, p.Input.Length, p.Recurrent.Length, p.HiddenBias.Length));
            Assert.Equal(p.Tensors().Sum(t => (long)t.Values.Length), p.Shape.ParameterCount);
        }
    }

    public static TheoryData<int, uint, string> AbsurdVersion2Fields() => new()
    {
        { CellOffset, 3, "unknown cell kind 3" },
        { CellOffset, uint.MaxValue, "unknown cell kind" },
        { DirectSizeOffset, unchecked((uint)-1), "absurd dimensions" },
        { DirectSizeOffset, 0, "absurd dimensions" }, // an order without a table
        { DirectSizeOffset, int.MaxValue, "absurd dimensions" },
        { DirectOrderOffset, 0, "absurd dimensions" }, // a table without an order
        { DirectOrderOffset, 6, "absurd dimensions" },
        { DirectOrderOffset, uint.MaxValue, "absurd dimensions" },
    };

    [Theory]
    [MemberData(nameof(AbsurdVersion2Fields))]
    public void AnAbsurdVersion2FieldIsRejectedWithOneClearException(int offset, uint value, string phrase)
    {
        var bytes = Serialize(Version2Model(CellKind.Lstm, 50, 3, seed: 5), WeightEncoding.Float32);
        var patched = PatchUInt32(bytes, offset, value);
        AssertLoadFails(patched, phrase, $"field at {offset} = {value}");
        var error = Record(() => ModelFile.Check(new MemoryStream(patched)));
        Assert.IsType<ModelFormatException>(error);
    }

    [Fact]
    public void AVersion2FileCutAnywhereInItsHeaderIsTruncated()
    {
        var bytes = Serialize(Version2Model(CellKind.Gru, 50, 2, seed: 6), WeightEncoding.Float32);
        for (var length = 0; length < HeaderLength + 12 + 40; length++)
        {
            AssertDeserializeFails(bytes[..length], $"cut at {length}");
        }
    }

    // Everything before the weights: header (with version 2's fields), metadata, vocabulary and class starts.
    private static int Preamble(LanguageModel model) =>
        HeaderLength + 12 + System.Text.Encoding.UTF8.GetByteCount(Metadata)
        + model.Vocabulary.Words.Sum(w => 2 + System.Text.Encoding.UTF8.GetByteCount(w) + 8) + (4 * model.Shape.ClassCount);

    private static LanguageModel Version2Model(CellKind cell, int directSize, int directOrder, int seed)
    {
        var small = SmallModel(OutputKind.Classes, seed);
        var shape = small.Shape with { Cell = cell, DirectSize = directSize, DirectOrder = directOrder };
        var parameters = new Parameters<float>(shape);
        parameters.Initialize(seed, scale: 0.8);
        var random = new Random(seed);
        foreach (var (_, values) in parameters.Tensors())
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = values[i] == 0 ? (float)(random.NextDouble() - 0.5) : values[i];
            }
        }

        return new LanguageModel(small.Vocabulary, small.Classes, parameters, Metadata);
    }
}
