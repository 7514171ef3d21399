using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

// Rank and alternatives of every scored token: the same words and probabilities as Next for the words before it.
public partial class InferenceTests
{
    [Theory]
    [InlineData(OutputKind.Full, 0, CellKind.Sigmoid)]
    [InlineData(OutputKind.Classes, 0, CellKind.Sigmoid)]
    [InlineData(OutputKind.Classes, 3, CellKind.Lstm)]
    [InlineData(OutputKind.Full, 2, CellKind.Gru)]
    [InlineData(OutputKind.Tree, 0, CellKind.Gru)]
    public void EachTokensAlternativesAreNextsCandidatesForTheWordsBeforeIt(OutputKind output, int directOrder, CellKind cell)
    {
        var model = BuildModel(output, 120, classCount: 8, embedding: 6, hidden: 11, seed: 31, scale: 0.9, biasScale: 1.0, directOrder, cell);
        foreach (var sentence in RandomSentences(model.Vocabulary, count: 4, seed: 9, maxLength: 12))
        {
            var rankings = model.Rank(sentence, 7);
            var scored = model.Score(sentence).Tokens;
            Assert.Equal(sentence.Count + 1, rankings.Count);
            for (var t = 0; t < rankings.Count; t++)
            {
                var prefix = sentence.Take(t).ToArray();
                var next = model.Next(prefix, 7);
                Assert.Equal(next.Candidates, rankings[t].Alternatives);

                // Rank 1 exactly when the token is the most probable word; otherwise 1 + the words ahead of it.
                var distribution = model.NextDistribution(prefix);
                var target = model.Vocabulary.IdOf(scored[t].ModelToken);
                var ahead = Enumerable.Range(0, distribution.Length).Count(w => distribution[w] > distribution[target] || (distribution[w] == distribution[target] && w < target));
                Assert.Equal(1 + ahead, rankings[t].Rank);
                Assert.Equal(rankings[t].Rank == 1, model.Next(prefix, 1).Candidates[0].Token == scored[t].ModelToken);
            }
        }
    }

    [Fact]
    public void RankingAsksForNoAlternativesOrMoreThanTheVocabulary()
    {
        var model = BuildModel(OutputKind.Classes, 40, classCount: 5, embedding: 4, hidden: 6, seed: 2, scale: 0.7, biasScale: 0.5);
        string[] sentence = [.. ContentWords(model.Vocabulary).Take(3), "not-a-word"];

        var none = model.Rank(sentence, 0);
        var all = model.Rank(sentence, 1_000);

        Assert.All(none, r => Assert.Empty(r.Alternatives));
        Assert.All(all, r => Assert.Equal(40, r.Alternatives.Count));
        Assert.Equal(none.Select(r => r.Rank), all.Select(r => r.Rank));
        // The unknown word is ranked as <unk>: its place among all words is where <unk> stands.
        var unknownRank = all[3].Alternatives.Select(a => a.Token).ToList().IndexOf(Vocabulary.UnknownToken) + 1;
        Assert.Equal(unknownRank, all[3].Rank);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Rank(sentence, -1));
    }

    [Fact]
    public void RankOfCountsTiesByTheLowerIdAsTopKOrdersThem()
    {
        float[] probabilities = [0.1f, 0.3f, 0.3f, 0.1f, 0.2f];
        var order = TopK.Ids(probabilities, probabilities.Length);
        for (var position = 0; position < order.Length; position++)
        {
            Assert.Equal(position + 1, Ranker.RankOf(probabilities, order[position]));
        }
    }
}
