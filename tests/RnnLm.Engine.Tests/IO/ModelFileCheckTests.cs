using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>
/// <see cref="ModelFile.Check(string)"/>, the cheap check a model listing runs: it must refuse every file that is not exactly as
/// long as its header and vocabulary say, and accept an intact one, without reading the weights.
/// </summary>
public sealed class ModelFileCheckTests
{
    private const int ChecksumLength = 32;

    [Theory]
    [InlineData(OutputKind.Full, WeightEncoding.Float32)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float16)]
    public void AnIntactFilePassesWithTheShapeItsHeaderStates(OutputKind output, WeightEncoding encoding)
    {
        var model = ModelFileTests.SmallModel(output, seed: 1);

        var shape = Check(ModelFileTests.Serialize(model, encoding));

        Assert.Equal(model.Shape, shape);
    }

    [Theory]
    [InlineData(OutputKind.Full, WeightEncoding.Float32)]
    [InlineData(OutputKind.Classes, WeightEncoding.Float16)]
    public void EveryTruncationFailsAndSaysTruncatedOnceTheMagicIsWhole(OutputKind output, WeightEncoding encoding)
    {
        var bytes = ModelFileTests.Serialize(ModelFileTests.SmallModel(output, seed: 2), encoding);
        var wrong = new List<string>();

        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var error = ModelFileTests.Record(() => Check(bytes[..cut]));
            var phrase = cut < 8 ? "" : "truncated";
            if (error is not ModelFormatException || !error.Message.Contains(phrase, StringComparison.Ordinal))
            {
                wrong.Add($"cut at {cut} of {bytes.Length}: {(error is null ? "passed" : $"{error.GetType().Name}: {error.Message}")}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(20)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(100_000)]
    public void BytesAppendedToAnIntactFileFailTheCheck(int extra)
    {
        var bytes = ModelFileTests.Serialize(ModelFileTests.SmallModel(OutputKind.Classes, seed: 3), WeightEncoding.Float32);

        var error = Assert.Throws<ModelFormatException>(() => Check([.. bytes, .. new byte[extra]]));

        Assert.Contains("unexpected bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AByteChangedInPlaceInTheWeightsPassesTheCheckButNotTheLoad()
    {
        var model = ModelFileTests.SmallModel(OutputKind.Full, seed: 4);
        var bytes = ModelFileTests.Serialize(model, WeightEncoding.Float32);
        bytes[bytes.Length - ChecksumLength - 5] ^= 0x40;

        Assert.Equal(model.Shape, Check(bytes));
        Assert.Contains("checksum", Assert.Throws<ModelFormatException>(() => ModelFile.Deserialize(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckingAFileReportsTheProblemWithoutNamingTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("modelfile-check-").FullName;
        try
        {
            var path = Path.Combine(folder, "cut.rnnlm");
            var bytes = ModelFileTests.Serialize(ModelFileTests.SmallModel(OutputKind.Classes, seed: 5), WeightEncoding.Float32);
            File.WriteAllBytes(path, bytes[..^10]);

            var error = Assert.Throws<ModelFormatException>(() => ModelFile.Check(path));

            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(folder, error.Message, StringComparison.Ordinal);
            Assert.Throws<FileNotFoundException>(() => ModelFile.Check(Path.Combine(folder, "missing.rnnlm")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static ModelShape Check(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return ModelFile.Check(stream);
    }
}
