using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

// The streaming state: a running text fed a few tokens at a time gives the scores of whole sentences bit for bit, and the
// next words of the sentence under way.
public partial class InferenceTests
{
    public static TheoryData<CellKind, OutputKind, int> EveryCellOutputAndDirectOrder()
    {
        var data = new TheoryData<CellKind, OutputKind, int>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            foreach (var output in new[] { OutputKind.Full, OutputKind.Classes })
            {
                data.Add(cell, output, 0);
                data.Add(cell, output, 3);
            }

            data.Add(cell, OutputKind.Tree, 0); // a tree output has no direct connections
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCellOutputAndDirectOrder))]
    public void FeedingSentencesInPiecesGivesTheirScoresBitForBit(CellKind cell, OutputKind output, int directOrder)
    {
        // Hidden 260 crosses KC = 256, where the output layer's sums are cut in two; sentences of 0 to 3 words are the
        // products of at most 4 rows that a one-row call must match.
        foreach (var hidden in new[] { 17, 260 })
        {
            var model = BuildModel(output, 130, classCount: 8, embedding: 6, hidden, seed: 5, scale: 0.7, biasScale: 1.0, directOrder, cell);
            var sentences = RandomSentences(model.Vocabulary, count: 8, seed: 23, maxLength: 20);
            sentences.InsertRange(1, [[], [ContentWords(model.Vocabulary)[0]], ["unknown-1", ContentWords(model.Vocabulary)[4], "."]]);
            var expected = sentences.SelectMany(s => model.Score(s).Tokens).ToArray();
            var text = sentences.SelectMany(s => s.Append(Vocabulary.EndOfSentenceToken)).ToArray();
            foreach (var piece in new[] { 1, 2, 5, text.Length })
            {
                var stream = model.BeginStream();
                var fed = text.Chunk(piece).SelectMany(stream.Feed).ToArray();
                Assert.Equal(expected.Length, fed.Length);
                for (var i = 0; i < fed.Length; i++)
                {
                    Assert.True(expected[i].LogProb == fed[i].LogProb, $"{cell}, {output}, order {directOrder}, hidden {hidden}, pieces of {piece}: token {i} '{fed[i].Token}' fed {fed[i].LogProb:R}, scored {expected[i].LogProb:R}");
                    Assert.Equal((expected[i].Token, expected[i].ModelToken), (fed[i].Token, fed[i].ModelToken));
                }

                Assert.Equal(sentences.Count, stream.SentenceCount);
                Assert.Equal(text.Length, stream.TokenCount);
                Assert.Equal(fed.Count(t => t.IsUnknown), stream.UnknownCount);
                Assert.Equal(fed.Sum(t => t.LogProb), stream.LogProb, 9);
                Assert.Equal(Math.Exp(-stream.LogProb / text.Length), stream.Perplexity, 12);
            }
        }
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutput))]
    public void AStreamsNextWordsAreThoseAfterTheSentenceUnderWay(CellKind cell, OutputKind output)
    {
        var model = BuildModel(output, 160, classCount: 9, embedding: 6, hidden: 15, seed: 9, scale: 1.2, biasScale: 1.5, directOrder: output == OutputKind.Tree ? 0 : 3, cell);
        var sentences = RandomSentences(model.Vocabulary, count: 3, seed: 2, maxLength: 9);
        var stream = model.BeginStream();
        var distribution = new float[model.Vocabulary.Count];
        foreach (var sentence in sentences)
        {
            for (var t = 0; t <= sentence.Count; t++)
            {
                var prefix = sentence.Take(t).ToArray();
                var expected = model.Next(prefix, 12);
                var next = stream.Next(12);
                Assert.Equal(expected.Prefix, next.Prefix);
                Assert.Equal(expected.Candidates, next.Candidates);
                Assert.Equal(expected.EndOfSentenceProbability, next.EndOfSentenceProbability);
                Assert.Equal(expected.Prefix, stream.CurrentSentence);
                stream.NextDistribution(distribution);
                Assert.Equal(model.NextDistribution(prefix), distribution);
                stream.Feed([t < sentence.Count ? sentence[t] : Vocabulary.EndOfSentenceToken]);
            }
        }

        Assert.Empty(stream.CurrentSentence);
    }

    [Fact]
    public void AStartOfSentenceTokenIsRefusedAndChangesNothing()
    {
        var model = BuildModel(OutputKind.Classes, 100, classCount: 6, embedding: 5, hidden: 11, seed: 4, scale: 1.0, biasScale: 1.0, directOrder: 2, cell: CellKind.Lstm);
        var words = ContentWords(model.Vocabulary);
        var stream = model.BeginStream();
        stream.Feed([words[1], words[2]]);
        var before = (stream.TokenCount, stream.LogProb, stream.Next(5));
        var error = Assert.Throws<ArgumentException>(() => stream.Feed([words[3], Vocabulary.StartOfSentenceToken]));
        Assert.Contains("Token 1", error.Message);
        Assert.Equal(before.TokenCount, stream.TokenCount);
        Assert.Equal(before.LogProb, stream.LogProb);
        Assert.Equal(before.Item3.Candidates, stream.Next(5).Candidates);
        Assert.Equal(model.Score([words[1], words[2], words[3]]).Tokens[2].LogProb, stream.Feed([words[3]])[0].LogProb);
    }

    [Fact]
    public void AStreamsStateBytesGrowWithTheSentenceUnderWayOnly()
    {
        var model = BuildModel(OutputKind.Classes, 100, classCount: 6, embedding: 5, hidden: 11, seed: 4, scale: 1.0, biasScale: 1.0, directOrder: 3, cell: CellKind.Lstm);
        var stream = model.BeginStream();
        var empty = stream.StateBytes;
        Assert.Equal(StreamingState.BytesFor(model.Shape), empty);
        Assert.True(empty >= 4 * ((2 * 11) + 2), $"{empty} bytes cannot hold h, c and the context");
        stream.Feed([.. ContentWords(model.Vocabulary).Take(10)]);
        Assert.Equal(empty + 40, stream.StateBytes);
        stream.Feed([Vocabulary.EndOfSentenceToken]);
        Assert.Equal(empty, stream.StateBytes);
        Assert.Equal(float.NaN, (float)model.BeginStream().Perplexity);
    }
}
