using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Tests;

/// <summary>
/// Inference on tiny hand-built models: exact perplexity of a uniform model, normalization, consistency between
/// scoring and next-word distributions, corpus scoring, top-k, sampling and thread safety.
/// </summary>
public partial class InferenceTests
{
    private const string Unknown1 = "zz-not-a-word";
    private const string Unknown2 = "qq-also-unknown";

    // ---- a uniform output layer: perplexity is exactly |V| ----

    [Theory]
    [InlineData(2_000, 7.600902459542082)]
    [InlineData(10_000, 9.210340371976184)]
    public void AModelWithZeroOutputWeightsHasPerplexityExactlyTheVocabularySize(int size, double logSize)
    {
        Assert.Equal(Math.Log(size), logSize, 12);
        // Random input and recurrent weights, so the hidden states differ from step to step; the output ignores them.
        var parameters = new Parameters<float>(new ModelShape(size, 4, 6, OutputKind.Full, 0));
        parameters.Initialize(seed: 3, scale: 1.0);
        Array.Fill(parameters.HiddenBias, 0.5f);
        Array.Clear(parameters.Output);
        var model = new LanguageModel(Zipf.VocabularyOf(size), null, parameters);
        var sentences = RandomSentences(model.Vocabulary, count: 6, seed: 5, maxLength: 12);

        foreach (var sentence in sentences)
        {
            var score = model.Score(sentence);
            Assert.True(Math.Abs(score.CrossEntropy - logSize) <= 1e-5, $"cross-entropy {score.CrossEntropy:R}, expected {logSize:R}");
            Assert.True(Math.Abs(score.Perplexity - size) <= 1e-4 * size, $"perplexity {score.Perplexity:R}");
            Assert.All(score.Tokens, t => Assert.True(Math.Abs(t.LogProb + logSize) <= 1e-5, $"{t.Token}: {t.LogProb:R}"));
        }

        var corpus = model.ScoreCorpus(sentences);
        Assert.True(Math.Abs(corpus.CrossEntropy - logSize) <= 1e-5, $"corpus cross-entropy {corpus.CrossEntropy:R}, expected {logSize:R}");
        Assert.True(Math.Abs(corpus.Perplexity - size) <= 1e-4 * size, $"corpus perplexity {corpus.Perplexity:R}");
    }

    [Fact]
    public void ZeroClassAndWordWeightsWithEqualSizedClassesAreUniformToo()
    {
        const int Size = 2_000;
        const int ClassCount = 40;
        var vocabulary = Zipf.VocabularyOf(Size);
        var classes = new ClassMap([.. Enumerable.Range(0, ClassCount).Select(c => c * (Size / ClassCount))], Size);
        var parameters = new Parameters<float>(new ModelShape(Size, 4, 6, OutputKind.Classes, ClassCount));
        parameters.Initialize(seed: 4, scale: 1.0);
        Array.Clear(parameters.Output);
        Array.Clear(parameters.ClassOutput);
        var model = new LanguageModel(vocabulary, classes, parameters);
        var sentences = RandomSentences(vocabulary, count: 5, seed: 6, maxLength: 10);

        foreach (var sentence in sentences)
        {
            Assert.True(Math.Abs(model.Score(sentence).CrossEntropy - Math.Log(Size)) <= 1e-5);
        }

        Assert.True(Math.Abs(model.ScoreCorpus(sentences).CrossEntropy - Math.Log(Size)) <= 1e-5);
        var distribution = model.NextDistribution(sentences[0]);
        var worst = distribution.Max(p => Math.Abs(p - (1.0 / Size)));
        Assert.True(worst <= 1e-9, $"a probability is {worst:E2} away from 1/{Size}");
    }

    [Fact]
    public void ZeroWeightsWithUnequalClassesGiveOneOverClassCountTimesOneOverClassSize()
    {
        const int Size = 500;
        var vocabulary = Zipf.VocabularyOf(Size);
        var classes = ClassMap.ByFrequency(vocabulary, 8);
        Assert.True(Enumerable.Range(0, classes.ClassCount).Select(classes.Size).Distinct().Count() > 1, "the classes should differ in size");
        var parameters = new Parameters<float>(new ModelShape(Size, 4, 6, OutputKind.Classes, classes.ClassCount));
        parameters.Initialize(seed: 4, scale: 1.0);
        Array.Clear(parameters.Output);
        Array.Clear(parameters.ClassOutput);
        var model = new LanguageModel(vocabulary, classes, parameters);

        foreach (var sentence in RandomSentences(vocabulary, count: 4, seed: 2, maxLength: 10))
        {
            foreach (var token in model.Score(sentence).Tokens)
            {
                var id = vocabulary.IdOf(token.ModelToken);
                var expected = -Math.Log(classes.ClassCount) - Math.Log(classes.Size(classes.ClassOf(id)));
                Assert.True(Math.Abs(token.LogProb - expected) <= 1e-5, $"{token.Token}: {token.LogProb:R}, expected {expected:R}");
            }
        }
    }

    // ---- normalization and consistency ----

    [Theory]
    [InlineData(OutputKind.Full, 0)]
    [InlineData(OutputKind.Classes, 0)]
    [InlineData(OutputKind.Full, 3)]
    [InlineData(OutputKind.Classes, 3)]
    [InlineData(OutputKind.Classes, 5)]
    [InlineData(OutputKind.Tree, 0)]
    public void TheNextWordDistributionSumsToOneAfterAnyPrefix(OutputKind output, int directOrder)
    {
        var model = BuildModel(output, 300, classCount: 12, embedding: 8, hidden: 16, seed: 11, scale: 1.5, biasScale: 2.0, directOrder);
        var words = ContentWords(model.Vocabulary);
        var random = new Random(8);
        var longPrefix = Enumerable.Range(0, 400).Select(_ => words[random.Next(words.Length)]).ToArray();
        List<string[]> prefixes =
        [
            [],
            [words[0]],
            [Unknown1],
            [words[3], Unknown1, words[7], Unknown2, Unknown2],
            [Vocabulary.UnknownToken, words[1]],
            longPrefix,
            [.. longPrefix, Unknown1],
        ];

        foreach (var prefix in prefixes)
        {
            var distribution = model.NextDistribution(prefix);
            Assert.Equal(model.Vocabulary.Count, distribution.Length);
            Assert.All(distribution, p => Assert.True(float.IsFinite(p) && p >= 0, $"probability {p}"));
            var sum = distribution.Sum(p => (double)p);
            Assert.True(Math.Abs(sum - 1) <= 1e-5, $"{output}, prefix of {prefix.Length}: sum {sum:R}");
        }

        // The prefix matters: otherwise the checks above would not exercise the recurrence.
        Assert.NotEqual(model.NextDistribution([]), model.NextDistribution(longPrefix));
    }

    [Theory]
    [InlineData(OutputKind.Full, 0)]
    [InlineData(OutputKind.Classes, 0)]
    [InlineData(OutputKind.Full, 3)]
    [InlineData(OutputKind.Classes, 3)]
    [InlineData(OutputKind.Classes, 1)]
    [InlineData(OutputKind.Tree, 0)]
    public void ScoringASentenceEqualsTheSumOfItsNextWordLogProbabilities(OutputKind output, int directOrder)
    {
        var model = BuildModel(output, 200, classCount: 10, embedding: 8, hidden: 16, seed: 21, scale: 1.5, biasScale: 2.0, directOrder);
        var words = ContentWords(model.Vocabulary);
        var sentences = RandomSentences(model.Vocabulary, count: 5, seed: 12, maxLength: 15);
        sentences.Add([]);
        sentences.Add([Unknown1, words[2], Unknown2, Vocabulary.UnknownToken]);

        foreach (var sentence in sentences)
        {
            var score = model.Score(sentence);
            Assert.Equal(sentence.Count + 1, score.TokenCount);
            double sum = 0;
            for (var i = 0; i <= sentence.Count; i++)
            {
                var token = score.Tokens[i];
                var expectedToken = i < sentence.Count ? sentence[i] : Vocabulary.EndOfSentenceToken;
                Assert.Equal(expectedToken, token.Token);
                Assert.Equal(model.Vocabulary[model.Vocabulary.IdOf(expectedToken)], token.ModelToken);
                Assert.Equal(!model.Vocabulary.Contains(expectedToken) || expectedToken == Vocabulary.UnknownToken, token.IsUnknown);

                var distribution = model.NextDistribution([.. sentence.Take(i)]);
                var expected = Math.Log(distribution[model.Vocabulary.IdOf(expectedToken)]);
                Assert.True(Math.Abs(token.LogProb - expected) <= 1e-4, $"{output}, order {directOrder}, token {i} '{expectedToken}': scored {token.LogProb:R}, distribution says {expected:R}");
                sum += token.LogProb;
            }

            Assert.Equal(sum, score.LogProb, 9);
            Assert.Equal(-score.LogProb / score.TokenCount, score.CrossEntropy, 12);
        }
    }

    [Theory]
    [InlineData(OutputKind.Full, 0)]
    [InlineData(OutputKind.Classes, 0)]
    [InlineData(OutputKind.Classes, 4)]
    [InlineData(OutputKind.Tree, 0)]
    public void ScoreCorpusIsTheSumOfSentenceScoresAndIndependentOfThreads(OutputKind output, int directOrder)
    {
        var model = BuildModel(output, 250, classCount: 10, embedding: 8, hidden: 16, seed: 31, scale: 1.0, biasScale: 1.0, directOrder);
        // Enough tokens for several batches of 256 predictions, so that two threads really split the work.
        var sentences = RandomSentences(model.Vocabulary, count: 120, seed: 13, maxLength: 20);
        sentences.Insert(7, []);
        sentences.Add([Unknown1, Unknown1]);
        sentences.Add([.. Enumerable.Repeat(ContentWords(model.Vocabulary)[0], 300)]);

        var expectedTokens = sentences.Sum(s => s.Count + 1L);
        var expectedUnknown = sentences.Sum(s => s.LongCount(w => model.Vocabulary.IdOf(w) == model.Vocabulary.Unknown));
        Assert.True(expectedTokens > 3 * 256, "the corpus should span several batches");
        Assert.True(expectedUnknown > 0);
        var sumOfScores = sentences.Sum(s => model.Score(s).LogProb);

        var single = model.ScoreCorpus(sentences, threads: 1);
        Assert.Equal(sentences.Count, single.Sentences);
        Assert.Equal(expectedTokens, single.Tokens);
        Assert.Equal(expectedUnknown, single.UnknownTokens);
        Assert.True(Math.Abs(single.LogProb - sumOfScores) <= 1e-5 * expectedTokens, $"corpus {single.LogProb:R} vs Σ scores {sumOfScores:R}");
        Assert.Equal(-single.LogProb / expectedTokens, single.CrossEntropy, 12);

        foreach (var threads in new[] { 2, 4 })
        {
            var parallel = model.ScoreCorpus(sentences, threads);
            Assert.Equal(single.Tokens, parallel.Tokens);
            Assert.Equal(single.UnknownTokens, parallel.UnknownTokens);
            Assert.True(Math.Abs(parallel.LogProb - single.LogProb) <= 1e-9 * Math.Abs(single.LogProb), $"threads = {threads}: {parallel.LogProb:R} vs {single.LogProb:R}");
        }
    }

    [Fact]
    public void SentenceScoresTakenTogetherCountLikeTheCorpusScoreAndSumInOrder()
    {
        var model = BuildModel(OutputKind.Classes, 120, classCount: 6, embedding: 6, hidden: 8, seed: 4, scale: 1.0, biasScale: 1.0);
        var sentences = RandomSentences(model.Vocabulary, count: 9, seed: 21, maxLength: 12);
        var scores = sentences.Select(model.Score).ToArray();

        var together = CorpusScore.Of(scores);

        var corpus = model.ScoreCorpus(sentences);
        Assert.Equal((corpus.Sentences, corpus.Tokens, corpus.UnknownTokens), (together.Sentences, together.Tokens, together.UnknownTokens));
        var logProb = 0.0;
        foreach (var score in scores)
        {
            logProb += score.LogProb;
        }

        Assert.Equal(logProb, together.LogProb);
        Assert.Equal(Math.Exp(-logProb / scores.Sum(s => s.TokenCount)), together.Perplexity);
    }

    [Fact]
    public void TheWordPartTakesOnlyRowsWhoseClassPartKeptTheirClassesAndFeatures()
    {
        // ScoreClasses keeps each row's class and direct features for ScoreWords, which neither looks them up nor hashes
        // them again; rows it did not cover since the last ScoreWords are refused, not scored with stale ones.
        var model = BuildModel(OutputKind.Classes, 60, classCount: 5, embedding: 4, hidden: 6, seed: 5, scale: 1.0, biasScale: 1.0, directOrder: 3);
        var layer = new OutputLayer<float>(model.Parameters, model.Classes, Numerics.WorkTeam.Single);
        var (rows, dh) = (4, model.Shape.Hidden);
        var hidden = Enumerable.Range(0, rows * dh).Select(i => MathF.Sin(i)).ToArray();
        int[] targets = [3, 17, 40, 3];
        var contexts = new int[rows * 2];
        var (classLogProbs, logProbs, expected) = (new float[rows], new float[rows], new float[rows]);
        layer.ScoreClasses(hidden.AsSpan(0, 2 * dh), targets.AsSpan(0, 2), contexts.AsSpan(0, 4), classLogProbs.AsSpan(0, 2));
        Assert.Throws<InvalidOperationException>(() => layer.ScoreWords(hidden, targets, rows, classLogProbs, logProbs));

        // Rows 2 and 3 in a call of their own, as a batch's later step: the words then get Run's bits.
        layer.ScoreClasses(hidden.AsSpan(0, 2 * dh), targets.AsSpan(0, 2), contexts.AsSpan(0, 4), classLogProbs.AsSpan(0, 2));
        layer.ScoreClasses(hidden.AsSpan(2 * dh), targets.AsSpan(2), contexts.AsSpan(4), classLogProbs.AsSpan(2), firstRow: 2);
        layer.ScoreWords(hidden, targets, rows, classLogProbs, logProbs);
        new OutputLayer<float>(model.Parameters, model.Classes, Numerics.WorkTeam.Single).Run(hidden, targets, contexts, rows, expected, null, null);
        Assert.Equal(expected, logProbs);
    }

    [Fact]
    public void AnEmptyCorpusHasNoTokensAndNoCrossEntropy()
    {
        var model = BuildModel(OutputKind.Full, 20, classCount: 0, embedding: 4, hidden: 4, seed: 1, scale: 1.0, biasScale: 0);
        var score = model.ScoreCorpus([], threads: 2);
        Assert.Equal(0, score.Sentences);
        Assert.Equal(0, score.Tokens);
        Assert.Equal(0, score.LogProb);
        Assert.True(double.IsNaN(score.CrossEntropy));
    }

    // ---- Next ----

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    [InlineData(OutputKind.Tree)]
    public void NextListsTheMostProbableWordsInDescendingOrder(OutputKind output)
    {
        var model = BuildModel(output, 150, classCount: 8, embedding: 8, hidden: 12, seed: 41, scale: 1.5, biasScale: 2.0);
        var words = ContentWords(model.Vocabulary);
        string[] prefix = [words[4], Unknown1, words[9]];

        foreach (var top in new[] { 1, 5, 37, 150, 1_000 })
        {
            var next = model.Next(prefix, top);
            var distribution = model.NextDistribution(prefix);
            var expected = distribution.Select((p, id) => (P: (double)p, Id: id)).OrderByDescending(x => x.P).ThenBy(x => x.Id).Take(top).ToArray();

            Assert.Equal(Math.Min(top, model.Vocabulary.Count), next.Candidates.Count);
            for (var i = 1; i < next.Candidates.Count; i++)
            {
                Assert.True(next.Candidates[i - 1].Probability >= next.Candidates[i].Probability, $"top {top}: not sorted at {i}");
            }

            Assert.Equal(expected.Select(x => x.P), next.Candidates.Select(c => c.Probability));
            Assert.Equal(expected.Select(x => model.Vocabulary[x.Id]), next.Candidates.Select(c => c.Token));
            Assert.Equal(distribution[model.Vocabulary.EndOfSentence], next.EndOfSentenceProbability);
            Assert.Equal([words[4], Vocabulary.UnknownToken, words[9]], next.Prefix);
        }
    }

    [Fact]
    public void NextRejectsATopBelowOne()
    {
        var model = BuildModel(OutputKind.Full, 20, classCount: 0, embedding: 4, hidden: 4, seed: 1, scale: 1.0, biasScale: 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Next([], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Next([], -3));
    }

    // ---- Generate ----

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    [InlineData(OutputKind.Tree)]
    public void GenerationIsDeterministicForASeedAndVariesAcrossSeeds(OutputKind output)
    {
        // Small weights over 200 words: a high-entropy distribution, so different seeds should pick different words.
        var model = BuildModel(output, 200, classCount: 10, embedding: 8, hidden: 12, seed: 51, scale: 0.2, biasScale: 0);
        string[] prefix = [ContentWords(model.Vocabulary)[0], Unknown1];
        var texts = new HashSet<string>(StringComparer.Ordinal);
        for (var seed = 1; seed <= 12; seed++)
        {
            var options = new SamplingOptions(MaxTokens: 15, Seed: seed);
            var first = model.Generate(prefix, options);
            var second = model.Generate(prefix, options);
            Assert.Equal(first.Tokens, second.Tokens);
            Assert.Equal(first.EndedSentence, second.EndedSentence);
            Assert.Equal([prefix[0], Vocabulary.UnknownToken], first.Prefix);
            texts.Add(string.Join(' ', first.Tokens.Select(t => t.Token)));
        }

        Assert.True(texts.Count >= 11, $"only {texts.Count} distinct texts from 12 seeds");
    }

    [Theory]
    [InlineData(OutputKind.Full, CellKind.Sigmoid)]
    [InlineData(OutputKind.Classes, CellKind.Sigmoid)]
    [InlineData(OutputKind.Classes, CellKind.Gru)] // generation advances the running state, h and the LSTM's c
    [InlineData(OutputKind.Full, CellKind.Lstm)]
    [InlineData(OutputKind.Tree, CellKind.Sigmoid)]
    public void TopKOfOneIsGreedyDecoding(OutputKind output, CellKind cell)
    {
        var model = BuildModel(output, 120, classCount: 8, embedding: 8, hidden: 12, seed: 61, scale: 1.5, biasScale: 1.5, cell: cell);
        List<string> context = [ContentWords(model.Vocabulary)[2]];
        var generation = model.Generate(context, new SamplingOptions(MaxTokens: 25, TopK: 1, Seed: 99));
        Assert.True(generation.Tokens.Count > 3, $"{generation.Tokens.Count} tokens: too few steps to exercise the running state");

        foreach (var token in generation.Tokens)
        {
            var distribution = model.NextDistribution(context);
            var argmax = Array.IndexOf(distribution, distribution.Max());
            Assert.Equal(model.Vocabulary[argmax], token.Token);
            Assert.Equal(distribution[argmax], token.Probability);
            context.Add(token.Token);
        }

        // Another seed, or a temperature so low that the best word takes all the weight, decodes the same way.
        Assert.Equal(generation.Tokens, model.Generate([context[0]], new SamplingOptions(MaxTokens: 25, TopK: 1, Seed: 7)).Tokens);
        Assert.Equal(generation.Tokens, model.Generate([context[0]], new SamplingOptions(MaxTokens: 25, Temperature: 1e-4, Seed: 7)).Tokens);
    }

    [Fact]
    public void SamplingWithTopKOnlyPicksAmongTheKMostProbableWords()
    {
        const int K = 3;
        var model = BuildModel(OutputKind.Full, 80, classCount: 0, embedding: 8, hidden: 12, seed: 71, scale: 0.5, biasScale: 0.5);
        for (var seed = 1; seed <= 5; seed++)
        {
            List<string> context = [];
            foreach (var token in model.Generate([], new SamplingOptions(MaxTokens: 12, TopK: K, Seed: seed)).Tokens)
            {
                var distribution = model.NextDistribution(context);
                var kth = distribution.OrderDescending().ElementAt(K - 1);
                Assert.True(distribution[model.Vocabulary.IdOf(token.Token)] >= kth, $"seed {seed}: '{token.Token}' is not among the top {K}");
                context.Add(token.Token);
            }
        }
    }

    [Fact]
    public void GenerationStopsAtTheEndOfSentence()
    {
        var model = BuildModel(OutputKind.Full, 40, classCount: 0, embedding: 4, hidden: 8, seed: 81, scale: 0.5, biasScale: 0);
        var eos = model.Vocabulary.EndOfSentence;

        model.Parameters.OutputBias[eos] = 30;
        var certain = new LanguageModel(model.Vocabulary, null, model.Parameters).Generate(["w7"], new SamplingOptions(MaxTokens: 50, Seed: 3));
        Assert.True(certain.EndedSentence);
        Assert.Equal(Vocabulary.EndOfSentenceToken, Assert.Single(certain.Tokens).Token);

        // A likely-but-not-certain end: every text ends with </s>, which appears nowhere else.
        model.Parameters.OutputBias[eos] = 3;
        var likely = new LanguageModel(model.Vocabulary, null, model.Parameters);
        for (var seed = 1; seed <= 10; seed++)
        {
            var generation = likely.Generate([], new SamplingOptions(MaxTokens: 1_000, Seed: seed));
            Assert.True(generation.EndedSentence, $"seed {seed}");
            Assert.Equal(Vocabulary.EndOfSentenceToken, generation.Tokens[^1].Token);
            Assert.DoesNotContain(generation.Tokens.SkipLast(1), t => t.Token == Vocabulary.EndOfSentenceToken);
        }

        // An end that never comes: generation stops after MaxTokens without claiming to have ended the sentence.
        model.Parameters.OutputBias[eos] = -40;
        var endless = new LanguageModel(model.Vocabulary, null, model.Parameters);
        var capped = endless.Generate([], new SamplingOptions(MaxTokens: 9, Seed: 1));
        Assert.False(capped.EndedSentence);
        Assert.Equal(9, capped.Tokens.Count);
        Assert.DoesNotContain(capped.Tokens, t => t.Token == Vocabulary.EndOfSentenceToken);

        var none = endless.Generate(["w3"], new SamplingOptions(MaxTokens: 0));
        Assert.Empty(none.Tokens);
        Assert.False(none.EndedSentence);
    }

    [Theory]
    [InlineData(10, 0.0, 0)]
    [InlineData(10, -1.0, 0)]
    [InlineData(10, double.NaN, 0)]
    [InlineData(10, double.PositiveInfinity, 0)]
    [InlineData(10, double.NegativeInfinity, 0)]
    [InlineData(10, 1.0, -1)]
    [InlineData(-1, 1.0, 0)]
    public void InvalidSamplingOptionsAreRejected(int maxTokens, double temperature, int topK)
    {
        var model = BuildModel(OutputKind.Full, 20, classCount: 0, embedding: 4, hidden: 4, seed: 1, scale: 1.0, biasScale: 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate([], new SamplingOptions(maxTokens, temperature, topK, Seed: 1)));
    }

    // ---- thread safety ----

    [Theory]
    [InlineData(OutputKind.Full)]
    [InlineData(OutputKind.Classes)]
    [InlineData(OutputKind.Tree)]
    public async Task ParallelCallsOnOneModelGiveTheSameResultsAsSequentialCalls(OutputKind output)
    {
        var model = BuildModel(output, 300, classCount: 12, embedding: 8, hidden: 16, seed: 91, scale: 1.0, biasScale: 1.0);
        var perTask = Enumerable.Range(0, 8).Select(t => RandomSentences(model.Vocabulary, count: 4, seed: 100 + t, maxLength: 20)).ToArray();
        // One long sentence makes its session grow its buffers, which later calls on the same session then reuse.
        perTask[3].Add([.. Enumerable.Repeat(ContentWords(model.Vocabulary)[1], 270)]);

        var expected = perTask.Select(Run).ToArray();
        var actual = await Task.WhenAll(perTask.Select(sentences => Task.Run(() =>
        {
            var results = new List<double[]>();
            for (var round = 0; round < 2; round++)
            {
                results.Add(Run(sentences));
            }

            return results;
        })));

        for (var t = 0; t < perTask.Length; t++)
        {
            Assert.All(actual[t], result => Assert.Equal(expected[t], result));
        }

        double[] Run(List<IReadOnlyList<string>> sentences)
        {
            var values = new List<double>();
            foreach (var sentence in sentences)
            {
                values.AddRange(model.Score(sentence).Tokens.Select(x => x.LogProb));
                values.AddRange(model.NextDistribution(sentence).Take(20).Select(p => (double)p));
            }

            values.Add(model.ScoreCorpus(sentences).LogProb);
            return [.. values];
        }
    }

    // ---- helpers ----

    private static string[] ContentWords(Vocabulary vocabulary) =>
        [.. vocabulary.Words.Where(w => w is not Vocabulary.EndOfSentenceToken and not Vocabulary.UnknownToken)];

    // Random sentences of known words with about one in ten replaced by a word outside the vocabulary.
    private static List<IReadOnlyList<string>> RandomSentences(Vocabulary vocabulary, int count, int seed, int maxLength)
    {
        var words = ContentWords(vocabulary);
        var random = new Random(seed);
        var sentences = new List<IReadOnlyList<string>>();
        for (var s = 0; s < count; s++)
        {
            var sentence = new string[1 + random.Next(maxLength)];
            for (var i = 0; i < sentence.Length; i++)
            {
                sentence[i] = random.Next(10) == 0 ? $"unknown-{random.Next(1000)}" : words[random.Next(words.Length)];
            }

            sentences.Add(sentence);
        }

        return sentences;
    }

    // A model over a Zipfian vocabulary with uniform(-scale, scale) weights and uniform(-biasScale, biasScale) biases and
    // direct connections (none for order 0).
    internal static LanguageModel BuildModel(OutputKind output, int size, int classCount, int embedding, int hidden, int seed, double scale, double biasScale,
                                             int directOrder = 0, CellKind cell = CellKind.Sigmoid)
    {
        var vocabulary = Zipf.VocabularyOf(size);
        var classes = output == OutputKind.Classes ? ClassMap.ByFrequency(vocabulary, classCount) : null;
        var parameters = new Parameters<float>(new ModelShape(size, embedding, hidden, output, classes?.ClassCount ?? 0, cell,
            DirectSize: directOrder > 0 ? 4_099 : 0, DirectOrder: directOrder));
        parameters.Initialize(seed, scale);
        var random = new Random(seed + 1_000);
        foreach (var (name, values) in parameters.Tensors())
        {
            if (name.StartsWith('b') || name == "D")
            {
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(((random.NextDouble() * 2) - 1) * biasScale);
                }
            }
        }

        return new LanguageModel(vocabulary, classes, parameters);
    }
}
