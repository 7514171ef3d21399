using RnnLm.Engine.Model;

namespace RnnLm.Engine.Inference;

/// <summary>Log-probabilities of whole sentences: one at a time, or many batched so that the output layer runs as matrix products.</summary>
internal static class Scorer
{
    public static SentenceScore Sentence(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<string> tokens)
    {
        var ids = vocabulary.Map(tokens);
        var logProbs = new float[ids.Length + 1];
        using (var lease = sessions.Rent())
        {
            lease.Session.ScoreSentences([ids], logProbs);
        }

        var scores = new TokenScore[ids.Length + 1];
        double total = 0;
        for (var i = 0; i <= ids.Length; i++)
        {
            var (token, id) = i < ids.Length ? (tokens[i], ids[i]) : (Vocabulary.EndOfSentenceToken, vocabulary.EndOfSentence);
            scores[i] = new TokenScore(token, vocabulary[id], logProbs[i]);
            total += logProbs[i];
        }

        return new SentenceScore(scores, total);
    }

    /// <summary>
    /// Splits the sentences between threads in chunks of whole sentences of about the same length, which a session steps
    /// in lock-step; the sum runs in sentence order, so the result depends neither on the threads nor on the chunks.
    /// </summary>
    public static CorpusScore Corpus(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<IReadOnlyList<string>> sentences, int threads)
    {
        var ids = new int[sentences.Count][];
        long tokens = 0, unknown = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = vocabulary.Map(sentences[i]);
            tokens += ids[i].Length + 1;
            unknown += ids[i].Count(id => id == vocabulary.Unknown);
        }

        var byLength = Enumerable.Range(0, ids.Length).OrderBy(i => ids[i].Length).ToArray();
        var sentenceLogProbs = new double[ids.Length];
        Parallel.ForEach(Chunks(ids, byLength, Session.BatchRows(sessions.Output)), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, chunk =>
        {
            var batch = byLength[chunk.Start..chunk.End].Select(i => ids[i]).ToArray();
            var logProbs = new float[batch.Sum(s => s.Length + 1)];
            using (var lease = sessions.Rent())
            {
                lease.Session.ScoreSentences(batch, logProbs);
            }

            var offset = 0;
            for (var i = 0; i < batch.Length; i++)
            {
                double sum = 0;
                for (var k = 0; k <= batch[i].Length; k++)
                {
                    sum += logProbs[offset + k];
                }

                sentenceLogProbs[byLength[chunk.Start + i]] = sum;
                offset += batch[i].Length + 1;
            }
        });

        return new CorpusScore(ids.Length, tokens, unknown, sentenceLogProbs.Sum());
    }

    // Chunks of whole sentences, in the order given, holding about a session's batch of predictions each.
    private static List<(int Start, int End)> Chunks(int[][] ids, int[] order, int batchRows)
    {
        var chunks = new List<(int Start, int End)>();
        for (int start = 0, rows = 0, i = 0; i < order.Length; i++)
        {
            rows += ids[order[i]].Length + 1;
            if (rows >= batchRows || i == order.Length - 1)
            {
                chunks.Add((start, i + 1));
                (start, rows) = (i + 1, 0);
            }
        }

        return chunks;
    }
}
