using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

// Every hidden layer in the sessions: scores against a plain double-precision forward pass, the running state of
// prefixes and generation against batch scoring, and normalization.
public partial class InferenceTests
{
    public static TheoryData<CellKind, OutputKind> EveryCellAndOutput()
    {
        var data = new TheoryData<CellKind, OutputKind>();
        foreach (var cell in Enum.GetValues<CellKind>())
        {
            data.Add(cell, OutputKind.Full);
            data.Add(cell, OutputKind.Classes);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutput))]
    public void ScoresEqualAPlainDoublePrecisionForwardPass(CellKind cell, OutputKind output)
    {
        var model = BuildModel(output, 150, classCount: 9, embedding: 7, hidden: 19, seed: 81, scale: 0.8, biasScale: 1.0, cell: cell);
        var weights = model.Parameters.Convert<double>();
        var vocabulary = model.Vocabulary;
        var sentences = RandomSentences(vocabulary, count: 6, seed: 14, maxLength: 25);
        sentences.Add([]);
        foreach (var sentence in sentences)
        {
            var scored = model.Score(sentence).Tokens;
            var state = ReferenceCells.Start(model.Shape);
            var input = vocabulary.StartOfSentence;
            for (var t = 0; t <= sentence.Count; t++)
            {
                state = ReferenceCells.Step(weights, state, input);
                var target = t < sentence.Count ? vocabulary.IdOf(sentence[t]) : vocabulary.EndOfSentence;
                var expected = GradientCheckTests.Reference.LogProb(weights, model.Classes, state.Hidden, target);
                Assert.True(Math.Abs(scored[t].LogProb - expected) <= 1e-4, $"{cell}, {output}, token {t}: scored {scored[t].LogProb:R}, reference {expected:R}");
                input = target;
            }
        }
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutput))]
    public void FollowingAPrefixGivesTheScoresOfBatchScoringAndSumsToOne(CellKind cell, OutputKind output)
    {
        var model = BuildModel(output, 200, classCount: 10, embedding: 8, hidden: 16, seed: 21, scale: 1.5, biasScale: 2.0, cell: cell);
        var sentences = RandomSentences(model.Vocabulary, count: 4, seed: 12, maxLength: 15);
        sentences.Add([.. Enumerable.Repeat(ContentWords(model.Vocabulary)[3], 300)]);
        foreach (var sentence in sentences)
        {
            var score = model.Score(sentence);
            for (var i = 0; i <= sentence.Count; i += i < 20 ? 1 : 37)
            {
                var distribution = model.NextDistribution([.. sentence.Take(i)]);
                var sum = distribution.Sum(p => (double)p);
                Assert.True(Math.Abs(sum - 1) <= 1e-5, $"{cell}, {output}, prefix of {i}: sum {sum:R}");
                var expected = Math.Log(distribution[model.Vocabulary.IdOf(score.Tokens[i].Token)]);
                Assert.True(Math.Abs(score.Tokens[i].LogProb - expected) <= 1e-4, $"{cell}, {output}, token {i}: scored {score.Tokens[i].LogProb:R}, distribution says {expected:R}");
            }
        }

        // Batches of many sentences at once, on one thread and several, agree with the sentences scored one by one.
        var corpus = RandomSentences(model.Vocabulary, count: 60, seed: 15, maxLength: 20);
        var one = model.ScoreCorpus(corpus, threads: 1);
        Assert.True(Math.Abs(one.LogProb - corpus.Sum(s => model.Score(s).LogProb)) <= 1e-5 * one.Tokens);
        Assert.Equal(one.LogProb, model.ScoreCorpus(corpus, threads: 3).LogProb, 9);
    }
}
