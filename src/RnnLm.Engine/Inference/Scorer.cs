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
        long tokens = 0;
        foreach (var sentence in sentences)
        {
            tokens += sentence.Count + 1;
        }

        var unknown = new int[sentences.Count];
        var sentenceLogProbs = new double[sentences.Count];
        Batched(sessions, vocabulary, sentences, threads, (sentence, ids, logProbs) =>
        {
            double sum = 0;
            foreach (var logProb in logProbs)
            {
                sum += logProb;
            }

            sentenceLogProbs[sentence] = sum;
            unknown[sentence] = ids.Count(id => id == vocabulary.Unknown);
        });

        return new CorpusScore(sentences.Count, tokens, unknown.Sum(count => (long)count), sentenceLogProbs.Sum());
    }

    /// <summary>Every predicted token's log-probability, a row per sentence (its words, then <c>&lt;/s&gt;</c>), batched as <see cref="Corpus"/> is.</summary>
    public static float[][] TokenLogProbs(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<IReadOnlyList<string>> sentences, int threads)
    {
        var rows = new float[sentences.Count][];
        Batched(sessions, vocabulary, sentences, threads, (sentence, _, logProbs) => rows[sentence] = logProbs.ToArray());
        return rows;
    }

    private delegate void SentenceLogProbs(int sentence, int[] ids, ReadOnlySpan<float> logProbs);

    /// <summary>
    /// Splits the sentences between threads in chunks of whole sentences of about the same length, which a session maps to
    /// ids and steps in lock-step, and hands each sentence's ids and log-probabilities (its words, then <c>&lt;/s&gt;</c>) to
    /// <paramref name="done"/>, from any thread, each sentence once.
    /// </summary>
    private static void Batched(SessionPool sessions, Vocabulary vocabulary, IReadOnlyList<IReadOnlyList<string>> sentences, int threads, SentenceLogProbs done)
    {
        // Shortest first, ties in sentence order.
        var byLength = new long[sentences.Count];
        for (var i = 0; i < byLength.Length; i++)
        {
            byLength[i] = ((long)sentences[i].Count << 32) | (uint)i;
        }

        Array.Sort(byLength);
        var order = Array.ConvertAll(byLength, key => (int)key);
        var chunks = Chunks(sentences, order, Session.BatchRows(sessions.Output));
        var workers = Math.Clamp(threads, 1, Math.Max(1, chunks.Count));
        var taken = -1;

        // Each worker takes the next chunk until none is left, one at a time, so the threads end within a chunk of
        // each other.
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            for (int k; (k = Interlocked.Increment(ref taken)) < chunks.Count;)
            {
                var (start, end) = chunks[k];
                var batch = order[start..end].Select(i => vocabulary.Map(sentences[i])).ToArray();
                var logProbs = new float[batch.Sum(s => s.Length + 1)];
                using (var lease = sessions.Rent())
                {
                    lease.Session.ScoreSentences(batch, logProbs);
                }

                var offset = 0;
                for (var i = 0; i < batch.Length; i++)
                {
                    done(order[start + i], batch[i], logProbs.AsSpan(offset, batch[i].Length + 1));
                    offset += batch[i].Length + 1;
                }
            }
        });
    }

    // Chunks of whole sentences, in the order given, holding about a session's batch of predictions each.
    private static List<(int Start, int End)> Chunks(IReadOnlyList<IReadOnlyList<string>> sentences, int[] order, int batchRows)
    {
        var chunks = new List<(int Start, int End)>();
        for (int start = 0, rows = 0, i = 0; i < order.Length; i++)
        {
            rows += sentences[order[i]].Count + 1;
            if (rows >= batchRows || i == order.Length - 1)
            {
                chunks.Add((start, i + 1));
                (start, rows) = (i + 1, 0);
            }
        }

        return chunks;
    }
}
