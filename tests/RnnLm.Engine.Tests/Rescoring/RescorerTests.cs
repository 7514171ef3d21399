using RnnLm.Engine.Data;
using RnnLm.Engine.Model;
using RnnLm.Engine.Rescoring;
using RnnLm.Engine.Tests.Interpolation;

namespace RnnLm.Engine.Tests.Rescoring;

/// <summary>N-best rescoring: the combined score against a hand computation, the LM figures against the scorer's, ranking and its ties, the input checks.</summary>
public sealed class RescorerTests
{
    private static readonly LanguageModel Model = MixturePairs.Same(OutputKind.Classes).Rnn;

    private static Hypothesis H(string words, params (string Name, double Value)[] scores) =>
        new(TextCorpus.Tokens(words), scores.ToDictionary(s => s.Name, s => s.Value));

    [Fact]
    public void TheCombinedScoreIsTheWeightedSumOfTheFirstPassScoresTheLmAndTheWordPenalty()
    {
        var weights = new RescoringWeights { Lm = 12, WordInsertionPenalty = -0.5, Scores = new Dictionary<string, double> { ["acoustic"] = 0.1 } };
        var hypothesis = H("a b c", ("acoustic", -250), ("ngram", -7.5));

        // 0.1·(−250) + 1·(−7.5) (not weighted: weight 1) + 12·(−3.25) + (−0.5)·3 = −25 − 7.5 − 39 − 1.5
        Assert.Equal(-73, Rescorer.Combine(hypothesis, -3.25, weights));
    }

    [Fact]
    public void HypothesesAreRankedByTheirCombinedScoreBestFirstWithTheModelsLogProbability()
    {
        var utterance = new Utterance("u1", [H("a b", ("acoustic", -10)), H("c", ("acoustic", -12)), H("b b a c", ("acoustic", -9))]);
        var weights = new RescoringWeights { Lm = 2, WordInsertionPenalty = 0.25, Scores = new Dictionary<string, double> { ["acoustic"] = 0.5 } };

        var result = Assert.Single(Rescorer.Rescore(Model, [utterance], weights));

        Assert.Equal("u1", result.Id);
        var expected = utterance.Hypotheses
            .Select((h, i) => (Index: i, Combined: (0.5 * h.Scores["acoustic"]) + (2 * Model.Score(h.Tokens).LogProb) + (0.25 * h.Tokens.Count)))
            .OrderByDescending(x => x.Combined).ToArray();
        Assert.Equal(expected.Select(x => x.Index), result.Hypotheses.Select(h => h.Index));
        Assert.Equal([1, 2, 3], result.Hypotheses.Select(h => h.Rank));
        foreach (var (h, (index, combined)) in result.Hypotheses.Zip(expected))
        {
            Assert.Equal(combined, h.Combined, 1e-12);
            Assert.Equal(Model.Score(utterance.Hypotheses[index].Tokens).LogProb, h.RnnLogProb);
            Assert.Equal(h.RnnLogProb, h.LmLogProb);
            Assert.Null(h.NGramLogProb);
        }
    }

    [Theory]
    [InlineData(OutputKind.Classes)]
    [InlineData(OutputKind.Tree)]
    public void TheRnnLogProbabilityIsTheScorersTotalBitForBitWhateverTheThreads(OutputKind output)
    {
        var model = MixturePairs.Same(output).Rnn;
        var utterances = Enumerable.Range(0, 40).Select(u => new Utterance($"u{u}", [.. Enumerable.Range(0, 5).Select(h => H(string.Join(' ', Enumerable.Range(0, 1 + ((u + h) % 9)).Select(i => "abc"[(u * h + i) % 3].ToString()))))])).ToArray();

        var one = Rescorer.Rescore(model, utterances, new RescoringWeights(), 1);
        var two = Rescorer.Rescore(model, utterances, new RescoringWeights(), 2);

        foreach (var (a, b) in one.SelectMany(u => u.Hypotheses).Zip(two.SelectMany(u => u.Hypotheses)))
        {
            Assert.Equal(model.Score(a.Tokens).LogProb, a.RnnLogProb);
            Assert.Equal(a.RnnLogProb, b.RnnLogProb);
            Assert.Equal(a.Combined, b.Combined);
        }
    }

    [Fact]
    public void TiesKeepTheInputOrder()
    {
        // The same words and scores three times: equal combined scores, so the first given ranks first.
        var utterance = new Utterance("tie", [H("a b", ("x", 1)), H("c", ("x", 1)), H("a b", ("x", 1)), H("a b", ("x", 1))]);

        var result = Assert.Single(Rescorer.Rescore(Model, [utterance], new RescoringWeights()));

        var tied = result.Hypotheses.Where(h => string.Join(' ', h.Tokens) == "a b").ToArray();
        Assert.Equal([0, 2, 3], tied.Select(h => h.Index));
        Assert.True(tied[0].Rank < tied[1].Rank && tied[1].Rank < tied[2].Rank);
        Assert.Equal(tied[0].Combined, tied[2].Combined);
    }

    [Fact]
    public void RankBreaksEqualScoresByIndexWhateverTheOrderGiven()
    {
        RescoredHypothesis R(int index, double combined) => new(index, 0, ["a"], 0, 0, null, 0, combined, new Dictionary<string, double>());

        var ranked = Rescorer.Rank([R(3, -1), R(0, -2), R(1, -1), R(2, -1)]);

        Assert.Equal([1, 2, 3, 0], ranked.Select(h => h.Index));
        Assert.Equal([1, 2, 3, 4], ranked.Select(h => h.Rank));
    }

    [Theory]
    [InlineData(0.4)]
    [InlineData(1)]
    public void WithAnNGramTheLmLogProbabilityIsTheMixturesAndBothComponentsAreGiven(double lambda)
    {
        var mixture = MixturePairs.Different(OutputKind.Classes);
        var utterance = new Utterance("u", [H("a d e", ("acoustic", -3)), H("zebra a", ("acoustic", -2))]);

        var result = Assert.Single(Rescorer.Rescore(mixture, lambda, [utterance], new RescoringWeights { Lm = 3 }));

        foreach (var h in result.Hypotheses)
        {
            var components = mixture.Components(h.Tokens);
            Assert.Equal(mixture.Score(h.Tokens, lambda).LogProb, h.LmLogProb);
            Assert.Equal(mixture.Rnn.Score(h.Tokens).LogProb, h.RnnLogProb);
            Assert.Equal(components.Tokens.Sum(t => t.NGramLogProb), h.NGramLogProb!.Value, 1e-12);
            Assert.Equal(utterance.Hypotheses[h.Index].Scores["acoustic"] + (3 * h.LmLogProb), h.Combined, 1e-12);
        }

        Assert.Equal(1, result.Hypotheses.Single(h => h.Index == 1).UnknownCount);
    }

    public static TheoryData<string, Utterance[], RescoringWeights, string> BadInputs() => new()
    {
        { "no utterances", [], new RescoringWeights(), "utterances" },
        { "no hypotheses", [new Utterance("u", [])], new RescoringWeights(), "utterances[0].hypotheses" },
        { "blank id", [new Utterance(" ", [H("a")])], new RescoringWeights(), "utterances[0].id" },
        { "duplicate id", [new Utterance("u", [H("a")]), new Utterance("u", [H("b")])], new RescoringWeights(), "utterances[1].id" },
        { "no words", [new Utterance("u", [H("")])], new RescoringWeights(), "utterances[0].hypotheses[0].tokens" },
        { "reserved token", [new Utterance("u", [H("a </s>")])], new RescoringWeights(), "utterances[0].hypotheses[0].tokens[1]" },
        { "infinite score", [new Utterance("u", [H("a", ("ac", double.NegativeInfinity))])], new RescoringWeights(), "utterances[0].hypotheses[0].scores.ac" },
        { "NaN score", [new Utterance("u", [H("a", ("ac", double.NaN))])], new RescoringWeights(), "utterances[0].hypotheses[0].scores.ac" },
        { "huge score", [new Utterance("u", [H("a", ("ac", 1e13))])], new RescoringWeights(), "utterances[0].hypotheses[0].scores.ac" },
        { "scores differ", [new Utterance("u", [H("a", ("ac", 1)), H("b", ("lm", 1))])], new RescoringWeights(), "utterances[0].hypotheses[1].scores" },
        { "NaN lm weight", [new Utterance("u", [H("a")])], new RescoringWeights { Lm = double.NaN }, "weights.lm" },
        { "infinite penalty", [new Utterance("u", [H("a")])], new RescoringWeights { WordInsertionPenalty = double.PositiveInfinity }, "weights.wordInsertionPenalty" },
        { "unknown weight", [new Utterance("u", [H("a", ("ac", 1))])], new RescoringWeights { Scores = new Dictionary<string, double> { ["acoustic"] = 1 } }, "weights.scores.acoustic" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputIsReportedWithItsPathAndRefusedByRescore(string name, Utterance[] utterances, RescoringWeights weights, string field)
    {
        var problems = Rescorer.Check(utterances, weights);

        Assert.True(problems.Any(p => p.Field == field), $"{name}: {string.Join("; ", problems.Select(p => p.Field))}");
        var thrown = Assert.Throws<ArgumentException>(() => Rescorer.Rescore(Model, utterances, weights));
        Assert.StartsWith(problems[0].Field, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GoodInputHasNoProblems()
    {
        Utterance[] utterances = [new("u1", [H("a", ("ac", -1)), H("b c", ("ac", -2))]), new("u2", [H("c")])];

        Assert.Empty(Rescorer.Check(utterances, new RescoringWeights { Scores = new Dictionary<string, double> { ["ac"] = 0.5 } }));
    }
}
