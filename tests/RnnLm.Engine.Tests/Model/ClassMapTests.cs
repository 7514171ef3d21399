using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>Frequency classes for the class-factorized output layer: contiguous id ranges of about equal unigram mass.</summary>
public class ClassMapTests
{
    [Theory]
    [InlineData(1_000, 20)]
    [InlineData(1_000, 50)]
    [InlineData(5_000, 100)]
    public void FrequencyClassesAreContiguousRangesOfAboutEqualMass(int size, int classCount)
    {
        var vocabulary = Zipf.VocabularyOf(size);
        var classes = ClassMap.ByFrequency(vocabulary, classCount);

        Assert.Equal(classCount, classes.ClassCount);
        Assert.Equal(size, classes.VocabularySize);
        AssertContiguous(classes, size);

        var total = vocabulary.Counts.Sum(c => (double)c);
        var ideal = total / classCount;
        var head = true;
        for (var c = 0; c < classes.ClassCount; c++)
        {
            var mass = Enumerable.Range(classes.Start(c), classes.Size(c)).Sum(id => (double)vocabulary.Counts[id]);
            if (classes.Size(c) == 1)
            {
                // Head words can outweigh several shares each, and the classes that follow them are single words
                // until the running mass catches up with the shares; after that no class is a single word.
                Assert.True(head, $"class {c}: a single word of mass {mass / ideal:F2}× the ideal after the head");
            }
            else
            {
                head = false;
                Assert.True(mass >= ideal / 2 && mass <= 2 * ideal, $"class {c} ({classes.Size(c)} words): mass {mass / ideal:F2}× the ideal");
            }

            if (classes.Size(c) >= 10)
            {
                Assert.True(Math.Abs((mass / ideal) - 1) <= 0.1, $"class {c} ({classes.Size(c)} words): mass {mass / ideal:F2}× the ideal");
            }
        }
    }

    [Fact]
    public void FrequencyClassesOfEqualCountsHaveEqualSizes()
    {
        var words = Enumerable.Range(0, 98).Select(i => $"w{i:D3}").Append(Vocabulary.EndOfSentenceToken).Append(Vocabulary.UnknownToken).ToArray();
        var classes = ClassMap.ByFrequency(new Vocabulary(words, Enumerable.Repeat(5L, 100).ToArray()), 10);
        Assert.Equal(10, classes.ClassCount);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(10, classes.Size(c)));
        AssertContiguous(classes, 100);
    }

    [Fact]
    public void FrequencyClassesOfABuiltVocabularyCoverIt()
    {
        var vocabulary = Vocabulary.Build(Zipf.Text(sentences: 500, words: 400, seed: 5), minCount: 2);
        foreach (var classCount in new[] { 1, 2, 7, 30 })
        {
            var classes = ClassMap.ByFrequency(vocabulary, classCount);
            Assert.InRange(classes.ClassCount, 1, classCount);
            AssertContiguous(classes, vocabulary.Count);
        }
    }

    [Fact]
    public void MoreClassesThanWordsGiveAtMostOneClassPerWord()
    {
        var vocabulary = new Vocabulary(["a", Vocabulary.EndOfSentenceToken, Vocabulary.UnknownToken], [10, 5, 0]);
        var classes = ClassMap.ByFrequency(vocabulary, 10);
        Assert.InRange(classes.ClassCount, 1, 3);
        AssertContiguous(classes, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassMap.ByFrequency(vocabulary, 0));
    }

    private static void AssertContiguous(ClassMap classes, int size)
    {
        Assert.Equal(0, classes.Start(0));
        Assert.Equal(classes.ClassCount, classes.Starts.Length);
        var covered = 0;
        for (var c = 0; c < classes.ClassCount; c++)
        {
            Assert.Equal(covered, classes.Start(c));
            Assert.Equal(classes.Start(c), classes.Starts[c]);
            Assert.True(classes.Size(c) >= 1, $"class {c} is empty");
            for (var id = classes.Start(c); id < classes.Start(c) + classes.Size(c); id++)
            {
                Assert.Equal(c, classes.ClassOf(id));
            }

            covered += classes.Size(c);
        }

        Assert.Equal(size, covered);
    }
}
