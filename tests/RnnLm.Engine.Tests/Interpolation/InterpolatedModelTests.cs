using RnnLm.Engine.Data;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.Model;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Tests.Interpolation;

/// <summary>The mixture P = λ·P_rnn + (1 − λ)·P_ngram over the RNN's vocabulary: normalised, consistent, and exact at its ends.</summary>
public sealed class InterpolatedModelTests
{
    private static readonly double Ln10 = Math.Log(10);

    public static TheoryData<bool, OutputKind, double> Pairs()
    {
        var data = new TheoryData<bool, OutputKind, double>();
        foreach (var different in new[] { false, true })
        {
            foreach (var output in new[] { OutputKind.Full, OutputKind.Classes, OutputKind.Tree })
            {
                foreach (var lambda in new[] { 0, 0.3, 0.8, 1 })
                {
                    data.Add(different, output, lambda);
                }
            }
        }

        return data;
    }

    private static readonly string[] Prefixes = ["", "a", "c", "b b", "a c", "d", "e d c", "zebra", "a zebra c", "c c c c"];

    private static readonly string[] Sentences = ["a c b", "c", "d e", "zebra c a", "b <unk> c d", "c c c a b e"];

    [Theory]
    [MemberData(nameof(Pairs))]
    public void TheNextWordDistributionSumsToOneWithinOneInAMillion(bool different, OutputKind output, double lambda)
    {
        var model = different ? MixturePairs.Different(output) : MixturePairs.Same(output);
        var distribution = new double[model.Rnn.Vocabulary.Count];
        foreach (var prefix in Prefixes)
        {
            model.NextDistribution(TextCorpus.Tokens(prefix), lambda, distribution);
            Assert.Equal(1, distribution.Sum(), 1e-6);
            Assert.All(distribution, p => Assert.True(p > 0));
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void ATokensScoreIsItsEntryInTheDistributionAfterItsPrefix(bool different, OutputKind output, double lambda)
    {
        var model = different ? MixturePairs.Different(output) : MixturePairs.Same(output);
        var vocabulary = model.Rnn.Vocabulary;
        var distribution = new double[vocabulary.Count];
        foreach (var sentence in Sentences)
        {
            var tokens = TextCorpus.Tokens(sentence);
            var score = model.Score(tokens, lambda);
            for (var i = 0; i <= tokens.Length; i++)
            {
                model.NextDistribution(tokens[..i], lambda, distribution);
                var id = i < tokens.Length ? vocabulary.IdOf(tokens[i]) : vocabulary.EndOfSentence;
                Assert.Equal(Math.Log(distribution[id]), score.Tokens[i].LogProb, 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(false, OutputKind.Full)]
    [InlineData(true, OutputKind.Classes)]
    public void LambdaOneIsTheRnnAloneExactly(bool different, OutputKind output)
    {
        var model = different ? MixturePairs.Different(output) : MixturePairs.Same(output);
        var sentences = Sentences.Select(s => (IReadOnlyList<string>)TextCorpus.Tokens(s)).ToArray();
        foreach (var tokens in sentences)
        {
            Assert.Equal(model.Rnn.Score(tokens), model.Score(tokens, 1), SentenceScoreComparer.Exact);
        }

        Assert.Equal(model.Rnn.ScoreCorpus(sentences), model.ScoreCorpus(sentences, 1));
        Assert.Equal(model.Rnn.ScoreCorpus(sentences).LogProb, model.CorpusComponents(sentences).Mix(1).LogProb, 1e-12);
        var rnn = model.Rnn.NextDistribution(["a", "b"]);
        var mixed = new double[rnn.Length];
        model.NextDistribution(["a", "b"], 1, mixed);
        Assert.Equal(rnn.Select(p => (double)p), mixed);
        var expected = model.Rnn.Next(["a", "b"], 3);
        var next = model.Next(["a", "b"], 3, 1);
        Assert.Equal(expected.Candidates, next.Candidates);
        Assert.Equal(expected.EndOfSentenceProbability, next.EndOfSentenceProbability);
    }

    [Fact]
    public void LambdaZeroIsTheNGramAloneExactlyWhenTheVocabulariesAgree()
    {
        var model = MixturePairs.Same(OutputKind.Classes);
        Assert.Equal((4, 0, 0), (model.SharedWords, model.RnnOnlyWords, model.NGramOnlyWords));
        var sentences = Sentences.Select(s => (IReadOnlyList<string>)TextCorpus.Tokens(s)).ToArray();
        foreach (var tokens in sentences)
        {
            var ngram = MixturePairs.NGram.Score(tokens);
            var mixed = model.Score(tokens, 0);
            Assert.Equal(ngram.Tokens.Select(t => t.LogProb), mixed.Tokens.Select(t => t.LogProb));
            Assert.Equal(ngram.LogProb, mixed.LogProb, 1e-12);
        }

        var alone = MixturePairs.NGram.ScoreCorpus(sentences);
        var corpus = model.ScoreCorpus(sentences, 0);
        Assert.Equal((alone.Sentences, alone.Tokens, alone.UnknownTokens), (corpus.Sentences, corpus.Tokens, corpus.UnknownTokens));
        Assert.Equal(alone.LogProb, corpus.LogProb, 1e-9);
    }

    [Fact]
    public void WordsTheVocabulariesTreatDifferentlyFollowTheConvention()
    {
        // RNN: a b d e </s> <unk>; n-gram: a b c </s> <unk>. d and e share the n-gram's <unk> mass with the RNN's <unk>, a
        // third each; the RNN's <unk> also takes all of c's probability; a word neither knows is the RNN's <unk>.
        var model = MixturePairs.Different();
        Assert.Equal((3, 2, 1), (model.SharedWords, model.RnnOnlyWords, model.NGramOnlyWords));
        var score = model.Score(["a", "d", "c", "zebra", "e"], 0);
        double P(string[] context, string word) => Math.Pow(10, MixturePairs.NGram.LogProb10([.. context.Select(MixturePairs.NGram.IdOf)], MixturePairs.NGram.IdOf(word)));
        double Unknown(params string[] context) => P(context, "<unk>") / 3;
        Assert.Equal(Math.Log(P(["<s>"], "a")), score.Tokens[0].LogProb, 1e-12);
        Assert.Equal(Math.Log(Unknown("<s>", "a")), score.Tokens[1].LogProb, 1e-12);
        Assert.Equal(Math.Log(Unknown("a", "d") + P(["a", "d"], "c")), score.Tokens[2].LogProb, 1e-12);
        Assert.Equal(Math.Log(Unknown("d", "c") + P(["d", "c"], "c")), score.Tokens[3].LogProb, 1e-12);
        Assert.Equal(Math.Log(Unknown("c", "zebra")), score.Tokens[4].LogProb, 1e-12);
        Assert.Equal(Math.Log(P(["zebra", "e"], "</s>")), score.Tokens[5].LogProb, 1e-12);
        Assert.Equal(["a", "d", "<unk>", "<unk>", "e", "</s>"], score.Tokens.Select(t => t.ModelToken));
    }

    [Fact]
    public void AMixtureInBetweenIsTheWeightedSumOfTheComponentsInProbabilitySpace()
    {
        var model = MixturePairs.Different(OutputKind.Classes);
        var tokens = TextCorpus.Tokens("b d c a");
        var rnn = model.Rnn.Score(tokens);
        var ngram = model.Score(tokens, 0);
        var mixed = model.Score(tokens, 0.3);
        for (var i = 0; i < mixed.Tokens.Count; i++)
        {
            Assert.Equal(Math.Log((0.3 * Math.Exp(rnn.Tokens[i].LogProb)) + (0.7 * Math.Exp(ngram.Tokens[i].LogProb))), mixed.Tokens[i].LogProb, 1e-12);
        }
    }

    [Fact]
    public void CorpusComponentsMatchTheSentencesScoredOneByOneWhateverTheThreads()
    {
        var model = MixturePairs.Different(OutputKind.Classes);
        var sentences = Sentences.Select(s => (IReadOnlyList<string>)TextCorpus.Tokens(s)).ToArray();
        var one = model.CorpusComponents(sentences, threads: 1);
        var two = model.CorpusComponents(sentences, threads: 2);
        var each = sentences.SelectMany(s => model.Components(s).Tokens).ToArray();
        Assert.Equal(each.Select(t => t.RnnLogProb), one.RnnLogProbs.ToArray());
        Assert.Equal(each.Select(t => t.NGramLogProb), one.NGramLogProbs.ToArray());
        Assert.Equal(one.RnnLogProbs.ToArray(), two.RnnLogProbs.ToArray());
        Assert.Equal(one.NGramLogProbs.ToArray(), two.NGramLogProbs.ToArray());
        Assert.Equal(each.Count(t => t.IsUnknown), one.UnknownTokens);
        Assert.Equal(sentences.Sum(s => model.Score(s, 0.4).LogProb), model.ScoreCorpus(sentences, 0.4, threads: 2).LogProb, 1e-9);
    }

    [Fact]
    public void NextRanksTheMixedDistribution()
    {
        var model = MixturePairs.Different();
        var distribution = new double[model.Rnn.Vocabulary.Count];
        model.NextDistribution(["a"], 0.5, distribution);
        var next = model.Next(["a"], 3, 0.5);
        var expected = distribution.Select((p, id) => (p, id)).OrderByDescending(x => x.p).Take(3).Select(x => (model.Rnn.Vocabulary[x.id], x.p));
        Assert.Equal(expected, next.Candidates.Select(c => (c.Token, c.Probability)));
        Assert.Equal(distribution[model.Rnn.Vocabulary.EndOfSentence], next.EndOfSentenceProbability);
        Assert.Equal(["<unk>"], model.Next(["c"], 1, 0.5).Prefix);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ALambdaOutsideZeroToOneIsRefused(double lambda)
    {
        var model = MixturePairs.Same();
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Score(["a"], lambda));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Next(["a"], 2, lambda));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreCorpus([["a"]], lambda));
    }

    [Fact]
    public void TinyProbabilitiesMixWithoutUnderflow()
    {
        Assert.Equal(-2000 + Math.Log(0.5 + (0.5 * Math.Exp(-1))), Mixture.LogProb(-2000, -2001, 0.5), 1e-9);
        Assert.Equal(Math.Log(0.25) - 800, Mixture.LogProb(double.NegativeInfinity, -800, 0.75), 1e-9);
        Assert.Equal(double.NegativeInfinity, Mixture.LogProb(double.NegativeInfinity, double.NegativeInfinity, 0.5));
    }

    [Fact]
    public void AClosedVocabularyNGramGivesRnnOnlyWordsNothingSoLambdaZeroRefusesThem()
    {
        const string arpa = "\\data\\\nngram 1=4\n\n\\1-grams:\n-0.30103 a\n-0.30103 </s>\n-99 <s> 0\n-99 b\n\n\\end\\\n";
        var closed = ArpaReader.Read(new StringReader(arpa), "closed.arpa");
        var model = new InterpolatedModel(MixturePairs.Rnn(MixturePairs.DifferentWords, OutputKind.Full, 1), closed);
        Assert.Throws<InvalidDataException>(() => model.Score(["d"], 0));
        var mixed = model.Score(["d"], 0.5);
        Assert.Equal(Math.Log(0.5) + model.Rnn.Score(["d"]).Tokens[0].LogProb, mixed.Tokens[0].LogProb, 1e-9);
    }

    [Fact]
    public void AnNGramModelWithoutEndOfSentenceCannotBePaired()
    {
        var arpa = ArpaReader.Read(new StringReader("\\data\\\nngram 1=2\n\n\\1-grams:\n-0.30103 a\n-99 <s>\n\n\\end\\\n"), "no-end.arpa");
        Assert.Throws<InvalidDataException>(() => new InterpolatedModel(MixturePairs.Rnn(MixturePairs.SameWords, OutputKind.Full, 1), arpa));
    }

    private sealed class SentenceScoreComparer : IEqualityComparer<Inference.SentenceScore>
    {
        public static readonly SentenceScoreComparer Exact = new();

        public bool Equals(Inference.SentenceScore? x, Inference.SentenceScore? y) =>
            x is not null && y is not null && x.LogProb == y.LogProb && x.Tokens.SequenceEqual(y.Tokens);

        public int GetHashCode(Inference.SentenceScore obj) => obj.LogProb.GetHashCode();
    }
}
