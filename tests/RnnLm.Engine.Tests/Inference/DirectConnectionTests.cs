using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>Inference with maximum-entropy direct connections, against a plain reference and by what they can see.</summary>
public class DirectConnectionTests
{
    [Theory]
    [InlineData(OutputKind.Full, 1)]
    [InlineData(OutputKind.Full, 3)]
    [InlineData(OutputKind.Classes, 1)]
    [InlineData(OutputKind.Classes, 3)]
    [InlineData(OutputKind.Classes, 5)]
    public void EveryLogProbabilityAgreesWithAPlainDoublePrecisionReference(OutputKind output, int directOrder)
    {
        var model = InferenceTests.BuildModel(output, 180, classCount: 9, embedding: 6, hidden: 10, seed: 17, scale: 1.2, biasScale: 1.5, directOrder);
        var reference = model.Parameters.Convert<double>();
        var vocabulary = model.Vocabulary;
        var random = new Random(5);
        var sentences = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, random.Next(9)).Select(_ => vocabulary[random.Next(vocabulary.Count)]).ToArray()).ToList();
        var corpus = model.ScoreCorpus(sentences);
        double total = 0;
        foreach (var sentence in sentences)
        {
            var ids = vocabulary.Map(sentence);
            var score = model.Score(sentence);
            var h = new double[reference.Shape.Hidden];
            for (var t = 0; t <= ids.Length; t++)
            {
                h = GradientCheckTests.Reference.Step(reference, h, t == 0 ? vocabulary.StartOfSentence : ids[t - 1]);
                var context = GradientCheckTests.Reference.Context(ids, t, vocabulary.StartOfSentence);
                var expected = GradientCheckTests.Reference.LogProb(reference, model.Classes, h, t < ids.Length ? ids[t] : vocabulary.EndOfSentence, context);
                Assert.True(Math.Abs(score.Tokens[t].LogProb - expected) <= 2e-5 * Math.Max(1, Math.Abs(expected)),
                    $"'{string.Join(' ', sentence)}' token {t}: engine {score.Tokens[t].LogProb:R}, reference {expected:R}");
                total += expected;
            }
        }

        Assert.True(Math.Abs(corpus.LogProb - total) <= 1e-5 * corpus.Tokens, $"corpus {corpus.LogProb:R}, reference {total:R}");
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void WithoutOutputWeightsTheNextWordDependsOnTheLastWordsOfItsSentenceAlone(OutputKind output)
    {
        // Order 3 and no output weights: what the hidden layer knows cannot reach the output, so the distribution is a
        // function of the last two words of the sentence (<s> counting as a word), and the direct connections make it one.
        var model = InferenceTests.BuildModel(output, 120, classCount: 7, embedding: 6, hidden: 8, seed: 23, scale: 1.0, biasScale: 1.5, directOrder: 3);
        Array.Clear(model.Parameters.Output);
        Array.Clear(model.Parameters.ClassOutput);
        var w = model.Vocabulary.Words.Where(x => x is not Vocabulary.EndOfSentenceToken and not Vocabulary.UnknownToken).ToArray();

        Assert.Equal(model.NextDistribution([w[1], w[2], w[3]]), model.NextDistribution([w[9], w[2], w[3]]));
        Assert.Equal(model.NextDistribution([w[5], w[6], w[1], w[2], w[3]]), model.NextDistribution([w[2], w[3]]));
        Assert.NotEqual(model.NextDistribution([w[2], w[3]]), model.NextDistribution([w[3]])); // (w3, <s>) is not (w3, w2)
        Assert.NotEqual(model.NextDistribution([w[4], w[3]]), model.NextDistribution([w[2], w[3]]));
        Assert.NotEqual(model.NextDistribution([w[3]]), model.NextDistribution([]));

        // A sentence's first word is predicted from <s> alone, whatever sentence came before it in a batch.
        var first = model.Score([w[4]]).Tokens[0].LogProb;
        var corpus = model.ScoreCorpus([[w[1], w[2], w[3]], [w[4]]]);
        var afterAnother = corpus.LogProb - model.Score([w[1], w[2], w[3]]).LogProb - model.Score([w[4]]).Tokens[1].LogProb;
        Assert.Equal(first, afterAnother, 5);
        Assert.Equal(Math.Log(model.NextDistribution([])[model.Vocabulary.IdOf(w[4])]), first, 5);
    }

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    public void GenerationSeesEachGeneratedWordAsContextAsScoringTheWholeSentenceDoes(OutputKind output)
    {
        // Generation advances the running state a word at a time; scoring reads each context from the whole sentence.
        var model = InferenceTests.BuildModel(output, 150, classCount: 8, embedding: 6, hidden: 8, seed: 29, scale: 1.0, biasScale: 2.0, directOrder: 4);
        string[] prefix = [model.Vocabulary[5], model.Vocabulary[9]];
        var generation = model.Generate(prefix, new SamplingOptions(MaxTokens: 12, Temperature: 1.5, TopK: 0, Seed: 4));
        var words = generation.Tokens.Select(t => t.Token).TakeWhile(t => t != Vocabulary.EndOfSentenceToken).ToArray();
        Assert.True(words.Length >= 4, "the sample should be long enough to fill the context");
        var score = model.Score([.. prefix, .. words]);
        for (var i = 0; i < generation.Tokens.Count; i++)
        {
            var scored = score.Tokens[prefix.Length + i];
            Assert.Equal(scored.Token, generation.Tokens[i].Token);
            Assert.True(Math.Abs(scored.LogProb - generation.Tokens[i].LogProb) <= 1e-4, $"word {i} '{scored.Token}': scored {scored.LogProb:R}, generated with {generation.Tokens[i].LogProb:R}");
        }

        Assert.Equal(model.Next([.. prefix, .. words], 1).Candidates[0].Probability, model.NextDistribution([.. prefix, .. words]).Max());
    }
}
