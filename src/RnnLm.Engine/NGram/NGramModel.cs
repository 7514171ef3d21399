using System.Buffers;
using System.Collections.Frozen;
using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.NGram;

/// <summary>
/// A back-off n-gram model ready for queries: its words, and per order a hash table of log10 probabilities and back-off
/// weights. Scores sentences as the RNN models do (independent sentences, <c>&lt;s&gt;</c> context only, every word and one
/// <c>&lt;/s&gt;</c> predicted, words it does not know scored as <c>&lt;unk&gt;</c>), so their perplexities compare directly.
/// </summary>
/// <remarks>Probabilities are held in single precision, as ARPA files give them: a probability is exact to about 1e-7 relative.</remarks>
public sealed class NGramModel
{
    private readonly string[] _words;
    private readonly FrozenDictionary<string, int> _ids;
    private readonly NGramTable[] _tables;

    internal NGramModel(string[] words, NGramTable[] tables)
    {
        _words = words;
        _tables = tables;
        foreach (var table in tables)
        {
            table.Seal();
        }

        _ids = words.Select((w, i) => KeyValuePair.Create(w, i)).ToFrozenDictionary(StringComparer.Ordinal);
        Start = _ids.GetValueOrDefault(Vocabulary.StartOfSentenceToken, -1);
        EndOfSentence = _ids.GetValueOrDefault(Vocabulary.EndOfSentenceToken, -1);
        Unknown = _ids.GetValueOrDefault(Vocabulary.UnknownToken, -1);
    }

    /// <summary>Highest order N.</summary>
    public int Order => _tables.Length;

    /// <summary>Every word with a unigram, <c>&lt;s&gt;</c> included; the index is the id.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>Id of <c>&lt;s&gt;</c>, −1 when the model has none.</summary>
    public int Start { get; }

    /// <summary>Id of <c>&lt;/s&gt;</c>, −1 when the model has none.</summary>
    public int EndOfSentence { get; }

    /// <summary>Id of <c>&lt;unk&gt;</c>, −1 when the model has none (a closed-vocabulary model).</summary>
    public int Unknown { get; }

    /// <summary>How many n-grams of order <paramref name="n"/> the model holds.</summary>
    public int CountOf(int n) => _tables[n - 1].Count;

    /// <summary>Bytes held by the hash tables.</summary>
    public long TableBytes => _tables.Sum(t => t.Bytes);

    /// <summary>The id of <paramref name="word"/>, or <see cref="Unknown"/> (−1 when the model has no <c>&lt;unk&gt;</c>).</summary>
    public int IdOf(string word) => _ids.TryGetValue(word, out var id) ? id : Unknown;

    /// <summary>Puts an estimate into query form, as reading its ARPA file would.</summary>
    public static NGramModel From(NGramEstimate estimate)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        var tables = new NGramTable[estimate.Order];
        for (var n = 0; n < tables.Length; n++)
        {
            tables[n] = new NGramTable();
            foreach (var entry in estimate.Entries[n])
            {
                tables[n].TryAdd(NGramTable.Hash(entry.Ids), (float)entry.LogProb, (float)entry.LogBackoff);
            }
        }

        return new NGramModel([.. estimate.Words], tables);
    }

    /// <summary>
    /// log10 p(<paramref name="word"/> | <paramref name="context"/>) by the ARPA back-off rule: the longest n-gram present
    /// ending in the word gives its probability, plus the back-off weight of every longer context that was skipped.
    /// Only the last N − 1 context ids count. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The word has no unigram.</exception>
    public double LogProb10(ReadOnlySpan<int> context, int word)
    {
        if (context.Length >= Order)
        {
            context = context[^(Order - 1)..];
        }

        double backoff = 0;
        for (var start = 0; start <= context.Length; start++)
        {
            var history = context[start..];
            if (_tables[history.Length].TryGet(NGramTable.Hash(history, word), out var logProb, out _))
            {
                return backoff + logProb;
            }

            if (history.Length > 0 && _tables[history.Length - 1].TryGet(NGramTable.Hash(history), out _, out var logBackoff))
            {
                backoff += logBackoff;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(word), $"Word id {word} has no unigram in the model.");
    }

    /// <summary>
    /// log10 p(w | <paramref name="context"/>) for every id w into <paramref name="destination"/> (<see cref="Words"/> long), each
    /// value exactly what <see cref="LogProb10"/> gives. The context's hash states and back-off weights are worked out once rather
    /// than per word (about half the time on the Brown 5-gram: what remains is a probe per order a word backs off through). Allocates nothing for contexts up to order 16. NaN for a word without a
    /// unigram (where <see cref="LogProb10"/> throws; a model read from ARPA has none).
    /// </summary>
    /// <exception cref="ArgumentException">The destination is not one entry per word long.</exception>
    public void Distribution10(ReadOnlySpan<int> context, Span<double> destination)
    {
        if (destination.Length != _words.Length)
        {
            throw new ArgumentException($"The destination must hold {_words.Length} values.", nameof(destination));
        }

        if (context.Length >= Order)
        {
            context = context[^(Order - 1)..];
        }

        // For each start of the history, longest first: its hash state, and the back-off weights of the longer histories skipped before it.
        var starts = context.Length + 1;
        Span<ulong> states = starts <= 16 ? stackalloc ulong[starts] : new ulong[starts];
        Span<double> backoffs = starts <= 16 ? stackalloc double[starts] : new double[starts];
        double backoff = 0;
        for (var start = 0; start < starts; start++)
        {
            var history = context[start..];
            var state = NGramTable.Seed;
            foreach (var id in history)
            {
                state = NGramTable.Mix(state, id);
            }

            (states[start], backoffs[start]) = (state, backoff);
            if (history.Length > 0 && _tables[history.Length - 1].TryGet(NGramTable.Hash(history), out _, out var logBackoff))
            {
                backoff += logBackoff;
            }
        }

        for (var word = 0; word < destination.Length; word++)
        {
            destination[word] = double.NaN;
            for (var start = 0; start < starts; start++)
            {
                if (_tables[context.Length - start].TryGet(NGramTable.Finish(NGramTable.Mix(states[start], word)), out var logProb, out _))
                {
                    destination[word] = backoffs[start] + logProb;
                    break;
                }
            }
        }
    }

    /// <summary>Natural-log probabilities of each token of a sentence and of its <c>&lt;/s&gt;</c>.</summary>
    /// <exception cref="InvalidDataException">The sentence has a word the model does not know and the model has no <c>&lt;unk&gt;</c> (a closed vocabulary), or the model lacks <c>&lt;s&gt;</c> or <c>&lt;/s&gt;</c>.</exception>
    public SentenceScore Score(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = Ids(tokens);
        var scores = new TokenScore[tokens.Count + 1];
        double total = 0;
        for (var i = 1; i < ids.Length; i++)
        {
            var logProb = LogProb10(ids.AsSpan(0, i), ids[i]) * Math.Log(10);
            total += logProb;
            scores[i - 1] = new TokenScore(i <= tokens.Count ? tokens[i - 1] : Vocabulary.EndOfSentenceToken, _words[ids[i]], logProb);
        }

        return new SentenceScore(scores, total);
    }

    /// <summary>
    /// The figures <c>rnnlm eval</c> reports for an RNN model: total natural-log probability over every word and one
    /// <c>&lt;/s&gt;</c> per sentence, and how many tokens were <c>&lt;unk&gt;</c> (unknown, or written <c>&lt;unk&gt;</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">As for <see cref="Score"/>.</exception>
    public CorpusScore ScoreCorpus(IEnumerable<IReadOnlyList<string>> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        long count = 0, tokens = 0, unknown = 0;
        double logProb10 = 0;
        var ids = ArrayPool<int>.Shared.Rent(256);
        try
        {
            foreach (var sentence in sentences)
            {
                if (ids.Length < sentence.Count + 2)
                {
                    ArrayPool<int>.Shared.Return(ids);
                    ids = ArrayPool<int>.Shared.Rent(sentence.Count + 2);
                }

                var length = Fill(sentence, ids);
                for (var i = 1; i < length; i++)
                {
                    logProb10 += LogProb10(ids.AsSpan(0, i), ids[i]);
                    unknown += ids[i] == Unknown ? 1 : 0;
                }

                count++;
                tokens += length - 1;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
        }

        return new CorpusScore(count, tokens, unknown, logProb10 * Math.Log(10));
    }

    private int[] Ids(IReadOnlyList<string> tokens)
    {
        var ids = new int[tokens.Count + 2];
        Fill(tokens, ids);
        return ids;
    }

    /// <summary>Writes <c>&lt;s&gt;</c>, the tokens' ids and <c>&lt;/s&gt;</c> into <paramref name="ids"/>; returns the length.</summary>
    private int Fill(IReadOnlyList<string> tokens, Span<int> ids)
    {
        if (Start < 0 || EndOfSentence < 0)
        {
            throw new InvalidDataException($"The n-gram model has no {(Start < 0 ? Vocabulary.StartOfSentenceToken : Vocabulary.EndOfSentenceToken)}, so it cannot score sentences.");
        }

        ids[0] = Start;
        for (var i = 0; i < tokens.Count; i++)
        {
            ids[i + 1] = IdOf(tokens[i]);
            if (ids[i + 1] < 0)
            {
                throw new InvalidDataException($"'{tokens[i]}' is not in the n-gram model, which has no {Vocabulary.UnknownToken} (a closed vocabulary).");
            }
        }

        ids[tokens.Count + 1] = EndOfSentence;
        return tokens.Count + 2;
    }
}
