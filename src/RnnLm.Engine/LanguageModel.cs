using System.Collections.Concurrent;
using System.Numerics.Tensors;
using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;
using RnnLm.Engine.Numerics;

namespace RnnLm.Engine;

/// <summary>
/// A trained Elman RNN language model, immutable once built: every method is safe to call from many
/// threads at once. Scratch memory comes from a pool of per-call sessions, so calls take no lock.
/// </summary>
/// <remarks>
/// A sentence is scored from h(0) = 0 with <c>&lt;s&gt;</c> as the first context; every word and a final
/// <c>&lt;/s&gt;</c> are predicted; words outside the vocabulary are scored as <c>&lt;unk&gt;</c>.
/// Probabilities are computed in single precision: log-probabilities are accurate to about 1e-5 nats.
/// </remarks>
public sealed class LanguageModel
{
    private const int RowsPerBatch = 256;
    private readonly float[] _projectedInput; // [|V|, Dh] L·I + b1: the input step reduced to one row lookup
    private readonly ConcurrentBag<Session> _sessions = [];

    /// <summary>Assembles a model from its parts; the weights are owned by the model from then on.</summary>
    /// <exception cref="ArgumentException">The parts disagree on the vocabulary size or the output layer.</exception>
    public LanguageModel(Vocabulary vocabulary, ClassMap? classes, Parameters<float> parameters, string metadata = "{}")
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(parameters);
        var shape = parameters.Shape;
        if (vocabulary.Count != shape.VocabularySize)
        {
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} words but the weights expect {shape.VocabularySize}.");
        }

        if ((classes is null) != (shape.Output == OutputKind.Full) || (classes is not null && (classes.ClassCount != shape.ClassCount || classes.VocabularySize != vocabulary.Count)))
        {
            throw new ArgumentException("The class map does not match the output layer.");
        }

        Vocabulary = vocabulary;
        Classes = classes;
        Parameters = parameters;
        Metadata = metadata ?? "{}";
        var (v, d, dh) = (shape.VocabularySize, shape.Embedding, shape.Hidden);
        _projectedInput = new float[(long)v * dh];
        Gemm.Multiply(parameters.Embedding, d, false, parameters.Input, dh, false, _projectedInput, dh, v, dh, d, false, Environment.ProcessorCount);
        for (var w = 0; w < v; w++)
        {
            var row = _projectedInput.AsSpan(w * dh, dh);
            TensorPrimitives.Add(row, parameters.HiddenBias, row);
        }
    }

    public Vocabulary Vocabulary { get; }

    public ClassMap? Classes { get; }

    public ModelShape Shape => Parameters.Shape;

    /// <summary>Free-form JSON describing the model (its card): kept in the model file.</summary>
    public string Metadata { get; }

    internal Parameters<float> Parameters { get; }

    /// <summary>Scores one tokenized sentence.</summary>
    /// <exception cref="ArgumentException">The sentence is null.</exception>
    public SentenceScore Score(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = Vocabulary.Map(tokens);
        var session = Rent();
        try
        {
            var logProbs = new float[ids.Length + 1];
            session.ScoreSentences([ids], logProbs);
            var scores = new TokenScore[ids.Length + 1];
            double total = 0;
            for (var i = 0; i <= ids.Length; i++)
            {
                var (token, id) = i < ids.Length ? (tokens[i], ids[i]) : (Vocabulary.EndOfSentenceToken, Vocabulary.EndOfSentence);
                scores[i] = new TokenScore(token, Vocabulary[id], logProbs[i]);
                total += logProbs[i];
            }

            return new SentenceScore(scores, total);
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>
    /// Token-weighted score of many sentences, batched so that the output layer runs as matrix products;
    /// <paramref name="threads"/> splits the sentences between threads without changing the result.
    /// </summary>
    public CorpusScore ScoreCorpus(IReadOnlyList<IReadOnlyList<string>> sentences, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var ids = new int[sentences.Count][];
        long tokens = 0, unknown = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = Vocabulary.Map(sentences[i]);
            tokens += ids[i].Length + 1;
            unknown += ids[i].Count(id => id == Vocabulary.Unknown);
        }

        // Chunks of whole sentences holding about RowsPerBatch predictions each; the sum runs in sentence order.
        var chunks = new List<(int Start, int End)>();
        for (int start = 0, rows = 0, i = 0; i < ids.Length; i++)
        {
            rows += ids[i].Length + 1;
            if (rows >= RowsPerBatch || i == ids.Length - 1)
            {
                chunks.Add((start, i + 1));
                (start, rows) = (i + 1, 0);
            }
        }

        var sentenceLogProbs = new double[ids.Length];
        Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, chunk =>
        {
            var session = Rent();
            try
            {
                var batch = ids[chunk.Start..chunk.End];
                var logProbs = new float[batch.Sum(s => s.Length + 1)];
                session.ScoreSentences(batch, logProbs);
                var offset = 0;
                for (var i = 0; i < batch.Length; i++)
                {
                    double sum = 0;
                    for (var k = 0; k <= batch[i].Length; k++)
                    {
                        sum += logProbs[offset + k];
                    }

                    sentenceLogProbs[chunk.Start + i] = sum;
                    offset += batch[i].Length + 1;
                }
            }
            finally
            {
                Return(session);
            }
        });

        return new CorpusScore(ids.Length, tokens, unknown, sentenceLogProbs.Sum());
    }

    /// <summary>P(w | prefix) for every vocabulary id w (index = id); sums to 1 within float rounding.</summary>
    public float[] NextDistribution(IReadOnlyList<string> prefix)
    {
        var probabilities = new float[Vocabulary.Count];
        NextDistribution(prefix, probabilities);
        return probabilities;
    }

    /// <summary>Writes P(w | prefix) for every vocabulary id w into <paramref name="destination"/> (|V| long), allocating nothing large.</summary>
    /// <exception cref="ArgumentException">The destination is not |V| long.</exception>
    public void NextDistribution(IReadOnlyList<string> prefix, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (destination.Length != Vocabulary.Count)
        {
            throw new ArgumentException($"The destination must hold {Vocabulary.Count} probabilities.", nameof(destination));
        }

        var session = Rent();
        try
        {
            session.Reset();
            foreach (var word in prefix)
            {
                session.Advance(Vocabulary.IdOf(word));
            }

            session.Distribution(destination);
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>The <paramref name="top"/> most probable next tokens after <paramref name="prefix"/>, and P(<c>&lt;/s&gt;</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is below 1.</exception>
    public NextWords Next(IReadOnlyList<string> prefix, int top)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var probabilities = NextDistribution(prefix);
        var best = TopK(probabilities, top);
        var seen = prefix.Select(w => Vocabulary[Vocabulary.IdOf(w)]).ToArray();
        return new NextWords(seen, [.. best.Select(id => new WordProbability(Vocabulary[id], probabilities[id]))], probabilities[Vocabulary.EndOfSentence]);
    }

    /// <summary>
    /// Continues <paramref name="prefix"/> by sampling, stopping at <c>&lt;/s&gt;</c> or after
    /// <see cref="SamplingOptions.MaxTokens"/>. Deterministic for a seed. <c>&lt;unk&gt;</c> may be sampled.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A sampling option is out of range.</exception>
    public Generation Generate(IReadOnlyList<string> prefix, SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTokens, 0);
        ArgumentOutOfRangeException.ThrowIfNegative(options.TopK);
        if (!(options.Temperature > 0) || double.IsInfinity(options.Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Temperature must be a positive number.");
        }

        var random = new Random(options.Seed);
        var context = Vocabulary.Map(prefix);
        var seen = context.Select(id => Vocabulary[id]).ToArray();
        var generated = new List<WordProbability>();
        var probabilities = new float[Vocabulary.Count];
        var weights = new double[Vocabulary.Count];
        var all = options.TopK == 0 || options.TopK >= probabilities.Length ? Enumerable.Range(0, probabilities.Length).ToArray() : null;
        var session = Rent();
        try
        {
            // The hidden state is carried forward: each new token costs one step, not a pass over the whole context.
            session.Reset();
            foreach (var id in context)
            {
                session.Advance(id);
            }

            for (var n = 0; n < options.MaxTokens; n++)
            {
                session.Distribution(probabilities);
                var candidates = all ?? TopK(probabilities, options.TopK);

                // p^(1/T), taken relative to the largest p so that small temperatures do not underflow to all zeros.
                var best = float.Epsilon;
                foreach (var id in candidates)
                {
                    best = Math.Max(best, probabilities[id]);
                }

                var logBest = Math.Log(best);
                double total = 0;
                for (var i = 0; i < candidates.Length; i++)
                {
                    var logP = Math.Log(Math.Max(probabilities[candidates[i]], float.Epsilon));
                    weights[i] = Math.Exp((logP - logBest) / options.Temperature);
                    total += weights[i];
                }

                var draw = random.NextDouble() * total;
                var chosen = candidates[^1];
                for (var i = 0; i < candidates.Length; i++)
                {
                    draw -= weights[i];
                    if (draw < 0)
                    {
                        chosen = candidates[i];
                        break;
                    }
                }

                generated.Add(new WordProbability(Vocabulary[chosen], probabilities[chosen]));
                if (chosen == Vocabulary.EndOfSentence)
                {
                    return new Generation(seen, generated, true);
                }

                session.Advance(chosen);
            }
        }
        finally
        {
            Return(session);
        }

        return new Generation(seen, generated, false);
    }

    // Ids of the k largest probabilities, most probable first (ties by lower id). A min-heap of k entries:
    // most words lose to its smallest at a glance, so the cost is about one comparison a word.
    internal static int[] TopK(ReadOnlySpan<float> probabilities, int k)
    {
        k = Math.Min(k, probabilities.Length);
        var heap = new PriorityQueue<int, (float P, int NegId)>(k + 1);
        for (var id = 0; id < probabilities.Length; id++)
        {
            if (heap.Count == k)
            {
                heap.TryPeek(out _, out var smallest);
                if (probabilities[id] <= smallest.P)
                {
                    continue; // ties keep the lower id, which came first
                }

                heap.DequeueEnqueue(id, (probabilities[id], -id));
            }
            else
            {
                heap.Enqueue(id, (probabilities[id], -id));
            }
        }

        var result = new int[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }

        return result;
    }

    private Session Rent() => _sessions.TryTake(out var session) ? session : new Session(this);

    private void Return(Session session) => _sessions.Add(session);

    /// <summary>Scratch for one call at a time.</summary>
    private sealed class Session(LanguageModel model)
    {
        private readonly OutputLayer<float> _output = new(model.Parameters, model.Classes, WorkTeam.Single);
        private readonly int _hiddenWidth = model.Shape.Hidden;
        private float[] _hidden = new float[RowsPerBatch * model.Shape.Hidden]; // [rows, Dh]
        private int[] _targets = new int[RowsPerBatch]; // [rows]

        // Log-probabilities of every word and </s> of each sentence, in order, into logProbs.
        public void ScoreSentences(int[][] sentences, Span<float> logProbs)
        {
            var dh = _hiddenWidth;
            var rows = 0;
            foreach (var s in sentences)
            {
                rows += s.Length + 1;
            }

            if (_hidden.Length < rows * dh)
            {
                _hidden = new float[rows * dh];
                _targets = new int[rows];
            }

            var row = 0;
            var eos = model.Vocabulary.EndOfSentence;
            foreach (var s in sentences)
            {
                for (var t = 0; t <= s.Length; t++, row++)
                {
                    var previous = t == 0 ? default : _hidden.AsSpan((row - 1) * dh, dh);
                    Step(previous, t == 0 ? model.Vocabulary.StartOfSentence : s[t - 1], _hidden.AsSpan(row * dh, dh));
                    _targets[row] = t < s.Length ? s[t] : eos;
                }
            }

            logProbs[..rows].Clear();
            _output.Run(_hidden, _targets, rows, logProbs, null, null);
        }

        // A running state for prefixes and generation: rows 0 and 1 of the scratch hold h(t) and h(t+1).
        public void Reset() => Step(default, model.Vocabulary.StartOfSentence, _hidden.AsSpan(0, _hiddenWidth));

        public void Advance(int id)
        {
            var dh = _hiddenWidth;
            Step(_hidden.AsSpan(0, dh), id, _hidden.AsSpan(dh, dh));
            _hidden.AsSpan(dh, dh).CopyTo(_hidden.AsSpan(0, dh));
        }

        public void Distribution(Span<float> probabilities) => _output.Distribution(_hidden.AsSpan(0, _hiddenWidth), probabilities);

        // h = sigmoid(h(t−1)H + (L·I + b1)[x]); an empty previous state means h(t−1) = 0.
        private void Step(ReadOnlySpan<float> previous, int input, Span<float> hidden)
        {
            var dh = _hiddenWidth;
            model._projectedInput.AsSpan(input * dh, dh).CopyTo(hidden);
            if (!previous.IsEmpty)
            {
                Gemm.Multiply(previous, dh, false, model.Parameters.Recurrent, dh, false, hidden, dh, 1, dh, dh, true);
            }

            TensorPrimitives.Sigmoid(hidden, hidden);
        }
    }
}
