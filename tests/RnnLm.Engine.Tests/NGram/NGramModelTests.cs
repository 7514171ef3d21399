using RnnLm.Engine.Data;
using RnnLm.Engine.IO;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Tests.NGram;

/// <summary>Queries by the ARPA back-off rule, and the normalisation they must keep.</summary>
public sealed class NGramModelTests
{
    /// <summary>Single precision holds log10 p to about 1e-7 relative.</summary>
    private const double Stored = 1e-6;

    private readonly NGramModel _model = NGramModel.From(HandCorpus.Estimate());

    [Fact]
    public void AnUnseenNGramBacksOffThroughEveryContextThatIsThere()
    {
        // c c a is unseen; c c is a context (only c c </s>, adjusted count 1: γ = D1/1 = 3/5); c a is unseen;
        // c is a context (γ = 3/5, see the estimator tests); p(a) = 4/25. So p(a | c c) = (3/5)(3/5)(4/25) = 36/625.
        Assert.Equal(Math.Log10(36.0 / 625), LogProb10(["c", "c"], "a"), Stored);

        // a a is no n-gram at all, so it adds no weight; a a is unseen; γ(a) = 5/9: p(a | a a) = (5/9)(4/25) = 4/45.
        Assert.Equal(Math.Log10(4.0 / 45), LogProb10(["a", "a"], "a"), Stored);
    }

    [Fact]
    public void ASeenNGramGivesItsOwnProbability()
    {
        Assert.Equal(Math.Log10(7213.0 / 16875), LogProb10(["a", "c"], "b"), Stored);

        // Only the last N − 1 words of a longer context count.
        Assert.Equal(LogProb10(["a", "c"], "b"), LogProb10(["b", "b", "a", "c"], "b"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("<s>")]
    [InlineData("<s> a")]
    [InlineData("a c")]
    [InlineData("c c")]
    [InlineData("b a")]
    [InlineData("<unk> <unk>")]
    public void EveryContextGivesADistributionOverTheVocabularyAndEndOfSentence(string context) =>
        AssertSumsToOne(_model, TextCorpus.Tokens(context));

    [Fact]
    public void AFiveGramModelOfRealTextSumsToOneInSeveralContexts()
    {
        var train = RepoPaths.Find("data/brown/train.txt", AppContext.BaseDirectory) ?? throw new InvalidOperationException("data/brown/train.txt not found.");
        var model = NGramModel.From(KneserNeyEstimator.Estimate([.. TextCorpus.Read(train).Take(3000)], order: 5, minCount: 2));
        foreach (var context in new[] { "", "<s>", "<s> The", "of the", "said that the", "<s> It was not", "in the middle of", "zzz qqq of the" })
        {
            AssertSumsToOne(model, TextCorpus.Tokens(context));
        }
    }

    [Fact]
    public void ASentenceIsScoredFromSentenceStartToEndOfSentenceAndUnknownWordsAsUnknown()
    {
        var score = _model.Score(["a", "zebra", "b"]);

        var ln10 = Math.Log(10);
        Assert.Equal(["a", "zebra", "b", "</s>"], score.Tokens.Select(t => t.Token));
        Assert.Equal(["a", "<unk>", "b", "</s>"], score.Tokens.Select(t => t.ModelToken));
        Assert.Equal(LogProb10(["<s>"], "a") * ln10, score.Tokens[0].LogProb, 1e-12);
        Assert.Equal(LogProb10(["<s>", "a"], "<unk>") * ln10, score.Tokens[1].LogProb, 1e-12);
        Assert.Equal(LogProb10(["<unk>", "b"], "</s>") * ln10, score.Tokens[3].LogProb, 1e-12);
        Assert.Equal(score.Tokens.Sum(t => t.LogProb), score.LogProb, 1e-12);
    }

    [Fact]
    public void ACorpusScoreCountsEveryWordAndOneEndOfSentenceASentenceAsEvalDoes()
    {
        string[][] sentences = [["a", "c", "b"], ["zebra", "c"], ["c"]];

        var corpus = _model.ScoreCorpus(sentences);

        Assert.Equal(3, corpus.Sentences);
        Assert.Equal(3 + 2 + 1 + 3, corpus.Tokens);
        Assert.Equal(1, corpus.UnknownTokens);
        Assert.Equal(sentences.Sum(s => _model.Score(s).LogProb), corpus.LogProb, 1e-9);
        Assert.Equal(Math.Exp(-corpus.LogProb / corpus.Tokens), corpus.Perplexity, 1e-12);
    }

    [Fact]
    public void LookupsAllocateNothing()
    {
        int[] context = [_model.Start, _model.IdOf("a"), _model.IdOf("c")];
        var word = _model.IdOf("b");
        _model.LogProb10(context, word);

        var before = GC.GetAllocatedBytesForCurrentThread();
        double total = 0;
        for (var i = 0; i < 1000; i++)
        {
            total += _model.LogProb10(context.AsSpan(i % 3), (word + i) % _model.Start);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(total < 0);
    }

    private static void AssertSumsToOne(NGramModel model, string[] context)
    {
        var ids = context.Select(w => w == "<s>" ? model.Start : model.IdOf(w)).ToArray();
        var sum = Enumerable.Range(0, model.Words.Count).Where(id => id != model.Start).Sum(id => Math.Pow(10, model.LogProb10(ids, id)));
        Assert.True(Math.Abs(sum - 1) < 1e-6, $"After '{string.Join(' ', context)}' the probabilities sum to {sum:R}.");

        // The whole distribution at once is the same, value for value.
        var all = new double[model.Words.Count];
        model.Distribution10(ids, all);
        Assert.Equal(Enumerable.Range(0, model.Words.Count).Select(id => model.LogProb10(ids, id)), all);
    }

    private double LogProb10(string[] context, string word) =>
        _model.LogProb10(context.Select(w => w == "<s>" ? _model.Start : _model.IdOf(w)).ToArray(), _model.IdOf(word));
}
