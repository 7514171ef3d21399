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
    /// Token-weighted score of many sentences; the sum runs in sentence order, so the result depends neither on the threads
    /// nor on the chunks.
    /// </summary>
    public static CorpusScore Corpus(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<IReadOnlyList<string>> sentences, int threads)
    {
        var (ids, tokens, unknown) = Map(vocabulary, sentences);
        var sentenceLogProbs = new double[ids.Length];
        Batched(sessions, ids, threads, (sentence, logProbs) =>
        {
            double sum = 0;
            foreach (var logProb in logProbs)
            {
                sum += logProb;
            }

            sentenceLogProbs[sentence] = sum;
        });

        return new CorpusScore(ids.Length, tokens, unknown, sentenceLogProbs.Sum());
    }

    /// <summary>Every predicted token's log-probability, a row per sentence (its words, then <c>&lt;/s&gt;</c>), batched as <see cref="Corpus"/> is.</summary>
    public static float[][] TokenLogProbs(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<IReadOnlyList<string>> sentences, int threads)
    {
        var (ids, _, _) = Map(vocabulary, sentences);
        var rows = new float[ids.Length][];
        Batched(sessions, ids, threads, (sentence, logProbs) => rows[sentence] = logProbs.ToArray());
        return rows;
    }

    private static (int[][] Ids, long Tokens, long Unknown) Map(Vocabulary vocabulary, IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        var ids = new int[sentences.Count][];
        long tokens = 0, unknown = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = vocabulary.Map(sentences[i]);
            tokens += ids[i].Length + 1;
            unknown += ids[i].Count(id => id == vocabulary.Unknown);
        }

        return (ids, tokens, unknown);
    }

    private delegate void SentenceLogProbs(int sentence, ReadOnlySpan<float> logProbs);

    /// <summary>
    /// Splits the sentences between threads in chunks of whole sentences of about the same length, which a session steps
    /// in lock-step, and hands each sentence's log-probabilities (its words, then <c>&lt;/s&gt;</c>) to <paramref name="done"/>,
    /// from any thread, each sentence once.
    /// </summary>
    private static void Batched(SessionPool sessions, int[][] ids, int threads, SentenceLogProbs done)
    {
        var byLength = Enumerable.Range(0, ids.Length).OrderBy(i => ids[i].Length).ToArray();
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
                done(byLength[chunk.Start + i], logProbs.AsSpan(offset, batch[i].Length + 1));
                offset += batch[i].Length + 1;
            }
        });
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
