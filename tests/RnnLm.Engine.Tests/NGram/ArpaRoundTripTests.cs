using System.IO.Compression;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Tests.NGram;

/// <summary>What the writer writes the reader reads back to the same model.</summary>
public sealed class ArpaRoundTripTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnnlm-arpa-").FullName;
    private readonly NGramEstimate _estimate = HandCorpus.Estimate();

    [Theory]
    [InlineData("model.arpa")]
    [InlineData("model.arpa.gz")]
    public void AWrittenModelReadsBackWithTheSameProbabilitiesAndBackOffWeights(string name)
    {
        var path = Path.Combine(_directory, name);
        ArpaWriter.Write(_estimate, path);

        var read = ArpaReader.Read(path);
        var direct = NGramModel.From(_estimate);

        Assert.Equal(_estimate.Order, read.Order);
        Assert.Equal(_estimate.Words.Order(StringComparer.Ordinal), read.Words.Order(StringComparer.Ordinal));
        for (var n = 1; n <= _estimate.Order; n++)
        {
            Assert.Equal(_estimate.Entries[n - 1].Count, read.CountOf(n));
        }

        // Every probability, seen or backed off, in every context of up to two words.
        var words = _estimate.Words;
        foreach (var first in words)
        {
            foreach (var second in words)
            {
                foreach (var word in words.Where(w => w != "<s>"))
                {
                    Assert.Equal(LogProb10(direct, [first, second], word), LogProb10(read, [first, second], word));
                    Assert.Equal(LogProb10(direct, [second], word), LogProb10(read, [second], word));
                }
            }
        }
    }

    [Fact]
    public void TheFileIsStandardArpaWithTheHeaderCountsAndTabSeparatedFields()
    {
        var writer = new StringWriter();
        ArpaWriter.Write(_estimate, writer);
        var lines = writer.ToString().Split('\n');

        Assert.Equal(["", @"\data\", "ngram 1=6", "ngram 2=10", "ngram 3=10", "", @"\1-grams:"], lines[..7]);
        Assert.Contains(@"\end\", lines);
        var entry = _estimate.Find("<s>", "c")!.Value;
        Assert.Contains($"{(float)entry.LogProb:R}\t<s> c\t{(float)entry.LogBackoff:R}", lines);
        Assert.Contains($"{(float)_estimate.Find("a", "c", "b")!.Value.LogProb:R}\ta c b", lines);
    }

    [Fact]
    public void AGzipFileIsRecognisedByItsContentNotItsName()
    {
        var path = Path.Combine(_directory, "compressed.arpa");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var text = new StreamWriter(gzip))
        {
            ArpaWriter.Write(_estimate, text);
        }

        Assert.Equal(10, ArpaReader.Read(path).CountOf(3));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static double LogProb10(NGramModel model, string[] context, string word) =>
        model.LogProb10(context.Select(w => model.IdOf(w)).ToArray(), model.IdOf(word));
}
