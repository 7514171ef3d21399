using RnnLm.Engine.Data;

namespace RnnLm.Engine.Tests;

/// <summary>Reading tokenized text: the tokens of <see cref="TextCorpus.Tokens"/>, a string per distinct word.</summary>
public sealed class TextCorpusTests
{
    [Theory]
    [InlineData("The jury said .")]
    [InlineData("  leading and trailing\tspace  ")]
    [InlineData("tabs\tand\u00A0no-break\u2003em\u3000ideographic\u2028line spaces")]
    [InlineData("\u0085next-line\u000Bvertical\u000Cform-feed")]
    [InlineData("one")]
    [InlineData(" \t ")]
    [InlineData("")]
    public void Parse_SplitsEachLineAsTokensDoes(string line)
    {
        var sentences = TextCorpus.Parse([line]);

        var expected = TextCorpus.Tokens(line);
        if (expected.Length == 0)
        {
            Assert.Empty(sentences);
        }
        else
        {
            Assert.Equal(expected, Assert.Single(sentences));
        }
    }

    [Fact]
    public void Parse_RandomLines_SameTokensAsTokens()
    {
        var random = new Random(5);
        char[] alphabet = ['a', 'b', 'c', ' ', ' ', '\t', '\u00A0', '\u2009', '.', 'é'];
        var lines = Enumerable.Range(0, 500)
            .Select(_ => new string([.. Enumerable.Range(0, random.Next(0, 30)).Select(_ => alphabet[random.Next(alphabet.Length)])]))
            .ToArray();

        var sentences = TextCorpus.Parse(lines);

        Assert.Equal(lines.Select(TextCorpus.Tokens).Where(tokens => tokens.Length > 0), sentences);
    }

    [Fact]
    public void Parse_EqualTokens_AreOneString()
    {
        var sentences = TextCorpus.Parse(["the cat saw the dog", "", "the dog"]);

        Assert.Equal(2, sentences.Count);
        Assert.Same(sentences[0][0], sentences[0][3]);
        Assert.Same(sentences[0][0], sentences[1][0]);
        Assert.Same(sentences[0][4], sentences[1][1]);
    }
}
