using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>
/// The binary model file: exact round trips, half-precision round trips, and every kind of damaged file
/// failing with <see cref="ModelFormatException"/> and a message that names the problem
/// (damaged files in ModelFileTests.Damaged.cs, the hand-written file image in ModelFileTests.Image.cs).
/// </summary>
public sealed partial class ModelFileTests : IDisposable
{
    // Header layout (see ModelFile): magic, version, output kind, |V|, d, Dh, C, encoding, metadata length.
    private const int VersionOffset = 8;
    private const int OutputOffset = 12;
    private const int VocabularyOffset = 16;
    private const int EmbeddingOffset = 20;
    private const int HiddenOffset = 24;
    private const int ClassCountOffset = 28;
    private const int EncodingOffset = 32;
    private const int MetadataLengthOffset = 36;
    private const int HeaderLength = 40;
    private const int ChecksumLength = 32;
    private const string Metadata = "{\"name\":\"tïny tëst ✓\",\"corpus\":\"synthetic\"}";

    private readonly string _temp = Directory.CreateTempSubdirectory("modelfile-tests-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is not worth failing a test over.
        }
    }

    // ---- round trips ----

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    [InlineData(OutputKind.Tree)]
    public void AFloat32RoundTripIsBitExact(OutputKind output)
    {
        var model = SmallModel(output, seed: 1);
        // Values a lossy conversion would disturb: negative zero, subnormals, the extremes, a NaN with a payload.
        var special = new[] { -0f, float.Epsilon, -1.5e-39f, float.MaxValue, float.MinValue, BitConverter.Int32BitsToSingle(0x7FC0_1234), 1f / 3 };
        special.CopyTo(model.Parameters.Embedding, 0);
        special.CopyTo(model.Parameters.Output, model.Parameters.Output.Length - special.Length);
        model.Parameters.OutputBias[^1] = -0f;
        if (output == OutputKind.Classes)
        {
            model.Parameters.ClassBias[0] = float.Epsilon;
        }

        var loaded = RoundTrip(model, WeightEncoding.Float32);

        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Metadata, loaded.Metadata);
        Assert.Equal(model.Vocabulary.Words, loaded.Vocabulary.Words);
        Assert.Equal(model.Vocabulary.Counts, loaded.Vocabulary.Counts);
        Assert.Equal(model.Vocabulary.EndOfSentence, loaded.Vocabulary.EndOfSentence);
        Assert.Equal(model.Vocabulary.Unknown, loaded.Vocabulary.Unknown);
        if (output == OutputKind.Classes)
        {
            Assert.NotNull(loaded.Classes);
            Assert.Equal(model.Classes!.Starts.ToArray(), loaded.Classes.Starts.ToArray());
        }
        else
        {
            Assert.Null(loaded.Classes);
        }

        foreach (var ((name, expected), (_, actual)) in model.Parameters.Tensors().Zip(loaded.Parameters.Tensors()))
        {
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{name}[{i}]: {expected[i]:R} became {actual[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    [InlineData(OutputKind.Tree)]
    public void AFloat32RoundTripScoresIdentically(OutputKind output)
    {
        var model = SmallModel(output, seed: 2);
        var loaded = RoundTrip(model, WeightEncoding.Float32);
        foreach (var sentence in Sentences(model))
        {
            Assert.Equal(model.Score(sentence).Tokens, loaded.Score(sentence).Tokens);
        }
    }

    [Theory]
    [InlineData(OutputKind.Full, 0)]
    [InlineData(OutputKind.Classes, 0)]
    [InlineData(OutputKind.Classes, 3)] // with direct connections of order 3
    [InlineData(OutputKind.Tree, 0)]
    public void AFloat16RoundTripKeepsWeightsWithinHalfPrecisionAndScoresClose(OutputKind output, int directOrder)
    {
        var model = directOrder == 0 ? SmallModel(output, seed: 3) : Version2Model(CellKind.Sigmoid, 200, directOrder, seed: 3);
        var loaded = RoundTrip(model, WeightEncoding.Float16);

        Assert.Equal(model.Shape, loaded.Shape);
        Assert.Equal(model.Metadata, loaded.Metadata);
        Assert.Equal(model.Vocabulary.Words, loaded.Vocabulary.Words);
        Assert.Equal(model.Vocabulary.Counts, loaded.Vocabulary.Counts);
        Assert.Equal(model.Classes?.Starts.ToArray(), loaded.Classes?.Starts.ToArray());
        var changed = 0;
        foreach (var ((name, expected), (_, actual)) in model.Parameters.Tensors().Zip(loaded.Parameters.Tensors()))
        {
            for (var i = 0; i < expected.Length; i++)
            {
                // Half precision keeps 11 significant bits (relative rounding ≤ 2⁻¹¹); below 2⁻¹⁴ it is subnormal, spaced 2⁻²⁴.
                var error = Math.Abs(expected[i] - actual[i]);
                Assert.True(error <= (1e-3 * Math.Abs(expected[i])) + 6e-8, $"{name}[{i}]: {expected[i]:R} became {actual[i]:R}");
                changed += error > 0 ? 1 : 0;
            }
        }

        Assert.True(changed > 0, "half precision should round some weights");
        foreach (var sentence in Sentences(model))
        {
            var (a, b) = (model.Score(sentence), loaded.Score(sentence));
            for (var i = 0; i < a.TokenCount; i++)
            {
                Assert.True(Math.Abs(a.Tokens[i].LogProb - b.Tokens[i].LogProb) <= 1e-2, $"token {i}: {a.Tokens[i].LogProb:R} vs {b.Tokens[i].LogProb:R}");
            }
        }

        // Half-precision weights survive a second half-precision save unchanged.
        var again = RoundTrip(loaded, WeightEncoding.Float16);
        foreach (var ((_, first), (_, second)) in loaded.Parameters.Tensors().Zip(again.Parameters.Tensors()))
        {
            Assert.Equal(first, second);
        }
    }

    [Theory]
    [InlineData(OutputKind.Full, WeightEncoding.Float32)]
    [InlineData(OutputKind.Full, WeightEncoding.Float16)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float32)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float16)]
    public void TheFileHasTheDocumentedLayout(OutputKind output, WeightEncoding encoding)
    {
        var model = SmallModel(output, seed: 4);
        var bytes = Save(model, encoding);

        var words = model.Vocabulary.Words.Sum(w => 2 + Encoding.UTF8.GetByteCount(w) + 8);
        var width = encoding == WeightEncoding.Float16 ? 2 : 4;
        var expectedLength = HeaderLength + Encoding.UTF8.GetByteCount(Metadata) + words + (4 * model.Shape.ClassCount) + (width * model.Shape.ParameterCount) + ChecksumLength;
        Assert.Equal(expectedLength, bytes.Length);
        Assert.Equal("RNNLM\r\n\x1a"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, ReadUInt32(bytes, VersionOffset)); // a sigmoid model without direct connections: the lowest version
        Assert.Equal((uint)output, ReadUInt32(bytes, OutputOffset));
        Assert.Equal((uint)model.Shape.VocabularySize, ReadUInt32(bytes, VocabularyOffset));
        Assert.Equal((uint)model.Shape.Embedding, ReadUInt32(bytes, EmbeddingOffset));
        Assert.Equal((uint)model.Shape.Hidden, ReadUInt32(bytes, HiddenOffset));
        Assert.Equal((uint)model.Shape.ClassCount, ReadUInt32(bytes, ClassCountOffset));
        Assert.Equal((uint)encoding, ReadUInt32(bytes, EncodingOffset));
        Assert.Equal(SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumLength)), bytes[^ChecksumLength..]);
        Assert.Equal(bytes, Serialize(model, encoding));
        if (encoding == WeightEncoding.Float32)
        {
            // The hand-written image used by the corruption tests below is the writer's format, byte for byte.
            Assert.Equal(bytes, FileImage.Of(model).ToBytes());
        }
    }

    [Fact]
    public void SavingOverwritesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_temp, "nested", "models")).FullName;
        var path = Path.Combine(directory, "model.rnnlm");
        File.WriteAllText(path, "an older, longer file that must be replaced entirely");
        var model = SmallModel(OutputKind.Full, seed: 5);

        ModelFile.Save(model, path);

        Assert.Equal([path], Directory.GetFiles(directory));
        Assert.Equal(model.Vocabulary.Words, ModelFile.Load(path).Vocabulary.Words);
    }
}
