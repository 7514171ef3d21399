using System.IO.Compression;
using System.Text;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Tests.NGram;

/// <summary>Each way an ARPA file can be wrong gets its line number and a reason, and no header makes the reader allocate.</summary>
public sealed class ArpaReaderErrorTests
{
    private const string Good = """
        \data\
        ngram 1=4
        ngram 2=2

        \1-grams:
        -0.5	</s>
        -99	<s>	-0.3
        -0.7	<unk>
        -0.4	the	-0.2

        \2-grams:
        -0.1	<s> the
        -0.2	the </s>

        \end\
        """;

    [Fact]
    public void TheGoodFileReads()
    {
        var model = Read(Good);

        Assert.Equal(2, model.Order);
        Assert.Equal(-0.1, model.LogProb10([model.Start], model.IdOf("the")), 1e-7);

        // <s> </s> is no bigram: back off by <s>'s weight to the unigram.
        Assert.Equal(-0.3 - 0.5, model.LogProb10([model.Start], model.EndOfSentence), 1e-6);
    }

    [Fact]
    public void SpacesAroundTheHeadersEqualsSignAreAccepted() =>
        Assert.Equal(2, Read(Good.Replace("ngram 2=2", "ngram 2 = 2", StringComparison.Ordinal)).CountOf(2));

    [Fact]
    public void AClosedVocabularyModelScoresItsOwnWordsAndRefusesOthersInOneLine()
    {
        var model = Read(Good.Replace("-0.7\t<unk>", "-0.7\tcat", StringComparison.Ordinal));

        Assert.Equal(-1, model.Unknown);
        Assert.Equal(2, model.Score(["cat"]).TokenCount);
        var error = Assert.Throws<InvalidDataException>(() => model.Score(["the", "dog"]));
        Assert.Equal("'dog' is not in the n-gram model, which has no <unk> (a closed vocabulary).", error.Message);
    }

    [Theory]
    [InlineData("ngram 1=4", "ngram 1=four", 2, "expected 'ngram N=count'")]
    [InlineData("ngram 2=2", "ngram 3=2", 3, "order 3 where order 2 comes next")]
    [InlineData("ngram 2=2", "ngram 2=3", 13, "has 2 entries but the header says 3")]
    [InlineData("ngram 1=4", "ngram 1=3", 9, "more entries than the header's 3")]
    [InlineData("-0.7\t<unk>", "-0.7", 8, "needs a log10 probability, 1 word")]
    [InlineData("-0.7\t<unk>", "minus\t<unk>", 8, "'minus' is not a valid log10 probability")]
    [InlineData("-0.7\t<unk>", "0.7\t<unk>", 8, "above 0")]
    [InlineData("-0.4\tthe\t-0.2", "-0.4\tthe\tx", 9, "not a valid log10 back-off weight")]
    [InlineData("-0.2\tthe </s>", "-0.2\tthe cat", 13, "the word 'cat' of this 2-gram has no unigram")]
    [InlineData("-0.2\tthe </s>", "-0.2\tthe the the the", 13, "a 2-gram line needs")]
    [InlineData("-0.2\tthe </s>", "-0.1\t<s> the", 13, "this 2-gram appears twice")]
    [InlineData("-0.7\t<unk>", "-0.7\t</s>", 8, "the unigram '</s>' appears twice")]
    [InlineData(@"\2-grams:", @"\3-grams:", 11, @"expected the \2-grams: section, found '\3-grams:'")]
    [InlineData(@"\end\", "", 14, @"expected \end\ after the 2-grams, found the end of the file")]
    [InlineData(@"\data\", "data", 15, @"no \data\ line")]
    public void AMalformedFileNamesTheLineAndWhatIsWrong(string good, string bad, int line, string reason)
    {
        var text = Good.Replace(good, bad, StringComparison.Ordinal);
        Assert.NotEqual(Good, text);

        var error = Assert.Throws<ArpaFormatException>(() => Read(text));

        Assert.Equal(line, error.LineNumber);
        Assert.Contains(reason, error.Reason);
        Assert.StartsWith($"test.arpa, line {line}: ", error.Message);
    }

    [Fact]
    public void AMissingSectionIsReported()
    {
        var text = Good[..Good.IndexOf(@"\2-grams:", StringComparison.Ordinal)] + @"\end\";

        var error = Assert.Throws<ArpaFormatException>(() => Read(text));

        Assert.Contains(@"expected the \2-grams: section, found '\end\'", error.Reason);
    }

    [Fact]
    public void AHeaderThatPromisesAHundredMillionNGramsAllocatesOnlyForTheLinesThere()
    {
        var text = Good.Replace("ngram 2=2", "ngram 2=100000000", StringComparison.Ordinal);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArpaFormatException>(() => Read(text));

        Assert.Contains("has 2 entries but the header says 100,000,000", error.Reason);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "The reader allocated from the header's count.");
    }

    [Fact]
    public void AHeaderCountBeyondTheReaderIsRefusedAtTheHeader()
    {
        var error = Assert.Throws<ArpaFormatException>(() => Read(Good.Replace("ngram 2=2", "ngram 2=99999999999", StringComparison.Ordinal)));

        Assert.Equal(3, error.LineNumber);
        Assert.Contains("beyond this reader", error.Reason);
    }

    [Fact]
    public void AMalformedLineInAGzipFileIsNumberedInTheDecompressedText()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rnnlm-bad-{Guid.NewGuid():N}.arpa.gz");
        try
        {
            using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            {
                gzip.Write(Encoding.UTF8.GetBytes(Good.Replace("-0.1\t<s> the", "-0.1\t<s>", StringComparison.Ordinal)));
            }

            var error = Assert.Throws<ArpaFormatException>(() => ArpaReader.Read(path));

            Assert.Equal(12, error.LineNumber);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static NGramModel Read(string text) => ArpaReader.Read(new StringReader(text), "test.arpa");
}
