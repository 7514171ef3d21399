using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>Version 3 files: tied embeddings, one shared matrix written once and read back into both roles; models without a projection.</summary>
public sealed partial class ModelFileTests
{
    // Version 3 adds a flags word after version 2's fields; the metadata length follows it.
    private const int FlagsOffset = 48;

    [Theory]
    [InlineData(CellKind.Sigmoid, 0, 0, WeightEncoding.Float32)]
    [InlineData(CellKind.Lstm, 64, 3, WeightEncoding.Float32)]
    [InlineData(CellKind.Gru, 0, 0, WeightEncoding.Float16)]
    public void ATiedModelIsAVersion3FileThatHoldsTheSharedMatrixOnce(CellKind cell, int directSize, int directOrder, WeightEncoding encoding)
    {
        var model = TiedModel(cell, directSize, directOrder, seed: 23);
        Assert.Same(model.Parameters.Embedding, model.Parameters.Output);
        var bytes = Serialize(model, encoding);
        Assert.Equal(3u, ReadUInt32(bytes, VersionOffset));
        Assert.Equal(1u, ReadUInt32(bytes, FlagsOffset));
        var width = encoding == WeightEncoding.Float16 ? 2 : 4;
        var untied = model.Shape with { Tied = false };
        Assert.Equal(untied.ParameterCount - ((long)model.Shape.VocabularySize * model.Shape.Hidden), model.Shape.ParameterCount);
        Assert.Equal(Preamble(model) + 4 + (width * model.Shape.ParameterCount) + ChecksumLength, bytes.Length);

        var loaded = ModelFile.Deserialize(bytes);
        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Shape, ModelFile.Check(new MemoryStream(bytes)));
        Assert.Same(loaded.Parameters.Embedding, loaded.Parameters.Output);
        var rounded = encoding == WeightEncoding.Float16 ? [.. model.Parameters.Embedding.Select(x => (float)(Half)x)] : model.Parameters.Embedding;
        Assert.True(rounded.AsSpan().SequenceEqual(loaded.Parameters.Embedding));

        // And it scores with the shared matrix as its output vectors, exactly as before saving (float32).
        if (encoding == WeightEncoding.Float32)
        {
            string[] sentence = [.. model.Vocabulary.Words.Skip(2).Take(4)];
            Assert.Equal(model.Score(sentence).LogProb, loaded.Score(sentence).LogProb);
        }
    }

    [Fact]
    public void AnUntiedModelKeepsItsVersion()
    {
        Assert.Equal(2u, ReadUInt32(Serialize(Version2Model(CellKind.Lstm, 0, 0, seed: 3), WeightEncoding.Float32), VersionOffset));
        Assert.Equal(1u, ReadUInt32(Serialize(SmallModel(OutputKind.Classes, seed: 3), WeightEncoding.Float32), VersionOffset));
    }

    [Theory]
    [InlineData(FlagsOffset, 4u, "unknown flags")]
    [InlineData(FlagsOffset, 5u, "unknown flags")]
    [InlineData(FlagsOffset, 3u, "absurd dimensions")] // no projection, yet d = Dh for an LSTM's 4·Dh gates
    [InlineData(FlagsOffset, uint.MaxValue, "unknown flags")]
    public void AnAbsurdVersion3FieldIsRejectedWithOneClearException(int offset, uint value, string phrase)
    {
        var bytes = Serialize(TiedModel(CellKind.Lstm, 50, 3, seed: 5), WeightEncoding.Float32);
        var patched = PatchUInt32(bytes, offset, value);
        AssertLoadFails(patched, phrase, $"field at {offset} = {value}");
        Assert.IsType<ModelFormatException>(Record(() => ModelFile.Check(new MemoryStream(patched))));
    }

    [Fact]
    public void ATiedFileWhoseEmbeddingWidthDiffersFromItsHiddenWidthIsAbsurd()
    {
        var model = TiedModel(CellKind.Lstm, 50, 3, seed: 5);
        var patched = PatchUInt32(Serialize(model, WeightEncoding.Float32), EmbeddingOffset, (uint)model.Shape.Hidden + 1);
        AssertLoadFails(patched, "absurd dimensions", "d = Dh + 1");
    }

    [Fact]
    public void AVersion3FileCutAnywhereInItsHeaderIsTruncated()
    {
        var bytes = Serialize(TiedModel(CellKind.Gru, 50, 2, seed: 6), WeightEncoding.Float32);
        for (var length = 0; length < HeaderLength + 16 + 40; length++)
        {
            AssertDeserializeFails(bytes[..length], $"cut at {length}");
        }
    }

    [Theory]
    [InlineData(CellKind.Sigmoid, false, WeightEncoding.Float32)]
    [InlineData(CellKind.Sigmoid, true, WeightEncoding.Float32)]
    [InlineData(CellKind.Gru, false, WeightEncoding.Float16)]
    [InlineData(CellKind.Lstm, false, WeightEncoding.Float32)]
    public void AModelWithoutAProjectionIsAVersion3FileWithoutI(CellKind cell, bool tied, WeightEncoding encoding)
    {
        var model = ModelWithoutProjection(cell, tied, seed: 29);
        Assert.Empty(model.Parameters.Input);
        var bytes = Serialize(model, encoding);
        Assert.Equal(3u, ReadUInt32(bytes, VersionOffset));
        Assert.Equal(tied ? 3u : 2u, ReadUInt32(bytes, FlagsOffset));
        var projected = model.Shape with { NoProjection = false };
        Assert.Equal(projected.ParameterCount - ((long)model.Shape.Embedding * model.Shape.GateWidth), model.Shape.ParameterCount);
        Assert.Equal(Preamble(model) + 4 + ((encoding == WeightEncoding.Float16 ? 2 : 4) * model.Shape.ParameterCount) + ChecksumLength, bytes.Length);

        var loaded = ModelFile.Deserialize(bytes);
        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Shape, ModelFile.Check(new MemoryStream(bytes)));
        if (encoding == WeightEncoding.Float32)
        {
            string[] sentence = [.. model.Vocabulary.Words.Skip(2).Take(4)];
            Assert.Equal(model.Score(sentence).LogProb, loaded.Score(sentence).LogProb);
        }
    }

    [Theory]
    [InlineData(CellKind.Sigmoid)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void AModelWithoutAProjectionScoresAsTheSameModelWithAnIdentityProjection(CellKind cell)
    {
        var model = ModelWithoutProjection(cell, tied: false, seed: 31);
        var identity = new Parameters<float>(model.Shape with { NoProjection = false });
        foreach (var ((name, from), (_, to)) in model.Parameters.Tensors().Zip(identity.Tensors()).Where(t => t.First.Name != "I"))
        {
            from.CopyTo(to, 0);
        }

        var width = model.Shape.GateWidth;
        for (var i = 0; i < width; i++)
        {
            identity.Input[(i * width) + i] = 1;
        }

        var withIdentity = new LanguageModel(model.Vocabulary, model.Classes, identity, Metadata);
        string[] sentence = [.. model.Vocabulary.Words.Skip(2).Take(5)];
        var (a, b) = (model.Score(sentence), withIdentity.Score(sentence));
        Assert.Equal(b.LogProb, a.LogProb);

        // And the rows are the input: another value in the first word's row changes the score.
        var first = model.Vocabulary.Map([sentence[0]])[0];
        model.Parameters.Embedding[first * model.Shape.Embedding] += 1;
        Assert.NotEqual(b.LogProb, new LanguageModel(model.Vocabulary, model.Classes, model.Parameters, Metadata).Score(sentence).LogProb);
    }

    private static LanguageModel ModelWithoutProjection(CellKind cell, bool tied, int seed)
    {
        var small = SmallModel(OutputKind.Classes, seed);
        var shape = small.Shape with { Embedding = ModelShape.GatesOf(cell) * small.Shape.Hidden, Cell = cell, Tied = tied, NoProjection = true };
        var parameters = new Parameters<float>(shape);
        parameters.Initialize(seed, scale: 0.8);
        return new LanguageModel(small.Vocabulary, small.Classes, parameters, Metadata);
    }

    private static LanguageModel TiedModel(CellKind cell, int directSize, int directOrder, int seed)
    {
        var small = SmallModel(OutputKind.Classes, seed);
        var shape = small.Shape with { Embedding = small.Shape.Hidden, Cell = cell, DirectSize = directSize, DirectOrder = directOrder, Tied = true };
        var parameters = new Parameters<float>(shape);
        parameters.Initialize(seed, scale: 0.8);
        return new LanguageModel(small.Vocabulary, small.Classes, parameters, Metadata);
    }
}
