using RnnLm.Engine.Inference;
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
            data.Add(cell, OutputKind.Tree);
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
                var expected = GradientCheckTests.Reference.LogProb(weights, model.Classes, state.Hidden, target, tree: model.Tree);
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

    [Theory]
    [MemberData(nameof(EveryCellAndOutput))]
    public void NextGivesTheMostProbableWordsOfTheWholeDistributionBitForBit(CellKind cell, OutputKind output)
    {
        // Without and with direct connections, and with no output weights at all: then the words of a class tie, and the
        // lower ids must come first whatever order the classes are computed in.
        foreach (var (directOrder, blank) in new[] { (0, false), (3, false), (0, true) })
        {
            if (directOrder > 0 && output == OutputKind.Tree)
            {
                continue; // a tree output has no direct connections
            }

            var model = BuildModel(output, 300, classCount: 12, embedding: 6, hidden: 17, seed: 51, scale: 1.5, biasScale: 2.0, directOrder, cell);
            if (blank)
            {
                foreach (var tensor in new[] { model.Parameters.Output, model.Parameters.OutputBias, model.Parameters.ClassOutput, model.Parameters.ClassBias })
                {
                    Array.Clear(tensor);
                }
            }

            var prefixes = RandomSentences(model.Vocabulary, count: 5, seed: 19, maxLength: 8);
            prefixes.Add([]);
            foreach (var prefix in prefixes)
            {
                var distribution = model.NextDistribution(prefix);
                foreach (var k in new[] { 1, 10, 45, 300 })
                {
                    var next = model.Next(prefix, k);
                    var expected = Enumerable.Range(0, distribution.Length).OrderByDescending(id => distribution[id]).ThenBy(id => id).Take(k).ToArray();
                    Assert.Equal(expected.Select(id => model.Vocabulary[id]), next.Candidates.Select(c => c.Token));
                    Assert.Equal(expected.Select(id => (double)distribution[id]), next.Candidates.Select(c => c.Probability));
                    Assert.Equal(distribution[model.Vocabulary.EndOfSentence], next.EndOfSentenceProbability);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutput))]
    public void SentencesScoredInLockStepGoThroughTheRunningStatesBitForBit(CellKind cell, OutputKind output)
    {
        // Hidden 19, and 260: past KC = 256, where the recurrent product's sums are cut in two.
        foreach (var hidden in new[] { 19, 260 })
        {
            var model = BuildModel(output, 120, classCount: 7, embedding: 5, hidden, seed: 31, scale: 0.5, biasScale: 1.0, cell: cell);
            var vocabulary = model.Vocabulary;
            var sentences = RandomSentences(vocabulary, count: 9, seed: 3, maxLength: 14).Select(s => vocabulary.Map(s)).Append([]).ToArray();
            var pool = new SessionPool(model);
            using var batch = pool.Rent();
            using var single = pool.Rent();
            batch.Session.ScoreSentences(sentences, new float[sentences.Sum(s => s.Length + 1)]);
            for (var s = 0; s < sentences.Length; s++)
            {
                for (var t = 0; t <= sentences[s].Length; t++)
                {
                    single.Session.Follow(sentences[s].AsSpan(0, t));
                    Assert.True(single.Session.State.Hidden.AsSpan().SequenceEqual(batch.Session.BatchHidden(s, t)), $"{cell}, {output}, hidden {hidden}: sentence {s}, step {t}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(EveryCellAndOutput))]
    public void ASentencesScoresDoNotDependOnTheOtherSentencesOfItsBatch(CellKind cell, OutputKind output)
    {
        // Without and with direct connections, which read each row's own context.
        foreach (var directOrder in output == OutputKind.Tree ? [0] : new[] { 0, 3 }) // a tree output has no direct connections
        {
            var model = BuildModel(output, 150, classCount: 9, embedding: 6, hidden: 23, seed: 41, scale: 0.7, biasScale: 1.0, directOrder, cell);
            var vocabulary = model.Vocabulary;
            var sentences = RandomSentences(vocabulary, count: 40, seed: 8, maxLength: 18).Select(s => vocabulary.Map(s)).ToArray();
            var pool = new SessionPool(model);
            var all = Score(pool, sentences);

            // Reversed, in two halves and one by one: other batches, other orders, other sentences running beside each
            // one. A class layer takes its class part step by step in a batch of 40 sentences and once over all rows in
            // one of 20 or 1, and gives the same bits either way.
            var reversed = Score(pool, [.. sentences.Reverse()]);
            var halves = Score(pool, sentences[..20]).Concat(Score(pool, sentences[20..])).ToArray();
            for (var s = 0; s < sentences.Length; s++)
            {
                Assert.Equal(all[s], reversed[sentences.Length - 1 - s]);
                Assert.Equal(all[s], halves[s]);
                Assert.Equal(all[s], Score(pool, [sentences[s]])[0]);
            }
        }

        static float[][] Score(SessionPool pool, int[][] batch)
        {
            var logProbs = new float[batch.Sum(s => s.Length + 1)];
            using (var lease = pool.Rent())
            {
                lease.Session.ScoreSentences(batch, logProbs);
            }

            var offset = 0;
            return [.. batch.Select(s => logProbs[offset..(offset += s.Length + 1)])];
        }
    }
}
