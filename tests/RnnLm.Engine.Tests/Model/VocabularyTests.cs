using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>Building a vocabulary from a training text: which words it keeps, their ids and counts.</summary>
public class VocabularyTests
{
    [Fact]
    public void BuildingAVocabularyKeepsFrequentWordsAndCountsTheRestAsUnknown()
    {
        string[][] text =
        [
            ["a", "a", "b", "c", "a"],
            ["b", "d", "a"],
            ["e", "b"],
        ];

        var vocabulary = Vocabulary.Build(text, minCount: 2);

        // a: 4, then b, </s> and <unk> (c, d, e) at 3 each in ordinal order of their text.
        Assert.Equal(["a", Vocabulary.EndOfSentenceToken, Vocabulary.UnknownToken, "b"], vocabulary.Words);
        Assert.Equal([4L, 3, 3, 3], vocabulary.Counts);
        Assert.Equal(1, vocabulary.EndOfSentence);
        Assert.Equal(2, vocabulary.Unknown);
        Assert.Equal(vocabulary.EndOfSentence, vocabulary.StartOfSentence);
        Assert.Equal(vocabulary.Unknown, vocabulary.IdOf("c"));
        Assert.Equal(3, vocabulary.IdOf("b"));
        Assert.False(vocabulary.Contains("c"));
        Assert.False(vocabulary.Contains(Vocabulary.StartOfSentenceToken));

        var everything = Vocabulary.Build(text, minCount: 1);
        Assert.Equal(7, everything.Count);
        Assert.Equal(0, everything.Counts[everything.Unknown]);
        Assert.Equal(3, everything.Counts[everything.EndOfSentence]);
        Assert.Equal(text.Sum(s => s.Length) + text.Length, everything.Counts.Sum());
    }

    [Fact]
    public void BuildingAVocabularyCountsLiteralUnknownTokensAndOverlongWordsAsUnknown()
    {
        var overlong = new string('x', Vocabulary.MaxWordLength + 1);
        string[][] text =
        [
            ["the", Vocabulary.UnknownToken, "the", overlong],
            [overlong, "the", Vocabulary.StartOfSentenceToken],
        ];

        var vocabulary = Vocabulary.Build(text, minCount: 1);

        Assert.False(vocabulary.Contains(overlong));
        Assert.False(vocabulary.Contains(Vocabulary.StartOfSentenceToken));
        Assert.Equal(3, vocabulary.Counts[vocabulary.Unknown]); // one literal <unk> and two overlong words
        Assert.Equal(2, vocabulary.Counts[vocabulary.EndOfSentence]);
        Assert.Equal(3, vocabulary.Counts[vocabulary.IdOf("the")]);
        Assert.Equal(3, vocabulary.Count);
    }

    [Fact]
    public void VocabularyIdsRunByDescendingCountWithTiesInOrdinalOrder()
    {
        var text = Zipf.Text(sentences: 400, words: 300, seed: 17);
        var vocabulary = Vocabulary.Build(text, minCount: 3);

        var counts = text.SelectMany(s => s).GroupBy(w => w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Count; id++)
        {
            var word = vocabulary[id];
            Assert.Equal(id, vocabulary.IdOf(word));
            if (id > 0)
            {
                var (previous, current) = (vocabulary.Counts[id - 1], vocabulary.Counts[id]);
                Assert.True(previous > current || (previous == current && string.CompareOrdinal(vocabulary[id - 1], word) < 0), $"ids {id - 1} and {id} are out of order");
            }

            if (id != vocabulary.Unknown && id != vocabulary.EndOfSentence)
            {
                Assert.Equal(counts[word], vocabulary.Counts[id]);
                Assert.True(counts[word] >= 3);
            }
        }

        Assert.Equal(text.Count, vocabulary.Counts[vocabulary.EndOfSentence]);
        Assert.Equal(counts.Values.Where(c => c < 3).Sum(), vocabulary.Counts[vocabulary.Unknown]);
        Assert.Equal(counts.Count(kv => kv.Value >= 3) + 2, vocabulary.Count);
    }

    [Fact]
    public void BuildingAVocabularyRejectsAnEmptyTextAndAMinimumCountBelowOne()
    {
        Assert.Throws<ArgumentException>(() => Vocabulary.Build([], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build([["a"]], 0));
    }
}
