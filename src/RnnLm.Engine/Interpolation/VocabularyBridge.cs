using System.Buffers;
using RnnLm.Engine.Model;
using RnnLm.Engine.NGram;

namespace RnnLm.Engine.Interpolation;

/// <summary>
/// The n-gram model's distribution folded onto an RNN's vocabulary, worked out once per pair of models. The convention:
/// <list type="bullet">
/// <item>a word both know gets the n-gram's probability of it;</item>
/// <item>the RNN's <c>&lt;unk&gt;</c> gets the mass of every word outside the RNN's vocabulary: the n-gram's probability of each
/// word only it knows, plus a share of the n-gram's <c>&lt;unk&gt;</c>;</item>
/// <item>the n-gram's <c>&lt;unk&gt;</c> mass (every word it does not know) is split evenly between the RNN's <c>&lt;unk&gt;</c> and
/// each word only the RNN knows: k such words get 1/(k + 1) of it each, and so does the RNN's <c>&lt;unk&gt;</c>.</item>
/// </list>
/// The folded distribution sums to what the n-gram's own sums to (1, up to the single precision of its tables), because every
/// n-gram word but <c>&lt;s&gt;</c> (never predicted) lands on exactly one RNN word. With the same vocabulary (k = 0 and no word
/// only the n-gram knows), it is the n-gram's distribution itself, every value bit for bit what <see cref="NGramModel.Score"/> gives.
/// </summary>
internal sealed class VocabularyBridge
{
    private static readonly double Ln10 = Math.Log(10);
    private readonly NGramModel _ngram;
    private readonly int[] _ngramIdOf;  // [|V_rnn|]: the n-gram id of each RNN word; −1 for <unk> and for the words only the RNN knows
    private readonly int[] _ngramOnly;  // n-gram ids of the words only the n-gram knows (never <s> or <unk>)
    private readonly int _rnnUnknown;
    private readonly double _shareLog;  // ln 1/(k + 1): each share of the n-gram's <unk> mass

    /// <exception cref="InvalidDataException">The n-gram model has no <c>&lt;s&gt;</c> or no <c>&lt;/s&gt;</c>, so it cannot score sentences.</exception>
    public VocabularyBridge(Vocabulary rnn, NGramModel ngram)
    {
        if (ngram.Start < 0 || ngram.EndOfSentence < 0)
        {
            throw new InvalidDataException($"The n-gram model has no {(ngram.Start < 0 ? Vocabulary.StartOfSentenceToken : Vocabulary.EndOfSentenceToken)}, so it cannot score sentences.");
        }

        _ngram = ngram;
        _rnnUnknown = rnn.Unknown;
        _ngramIdOf = new int[rnn.Count];
        for (var r = 0; r < rnn.Count; r++)
        {
            _ngramIdOf[r] = r == rnn.Unknown ? -1 : ExactId(ngram, rnn[r]);
            RnnOnlyWords += r != rnn.Unknown && _ngramIdOf[r] < 0 ? 1 : 0;
        }

        _ngramOnly = [.. Enumerable.Range(0, ngram.Words.Count).Where(n => n != ngram.Start && n != ngram.Unknown && !rnn.Contains(ngram.Words[n]))];
        SharedWords = rnn.Count - 1 - RnnOnlyWords;
        _shareLog = -Math.Log(RnnOnlyWords + 1);
    }

    /// <summary>Words both models know, <c>&lt;/s&gt;</c> included, <c>&lt;unk&gt;</c> not.</summary>
    public int SharedWords { get; }

    /// <summary>Words only the RNN knows: each gets a share of the n-gram's <c>&lt;unk&gt;</c>.</summary>
    public int RnnOnlyWords { get; }

    /// <summary>Words only the n-gram knows (<c>&lt;s&gt;</c> and <c>&lt;unk&gt;</c> aside): their mass goes to the RNN's <c>&lt;unk&gt;</c>.</summary>
    public int NGramOnlyWords => _ngramOnly.Length;

    /// <summary>
    /// ln Q(<paramref name="rnnId"/> | <paramref name="context"/>), the folded n-gram probability of an RNN word after n-gram ids.
    /// One n-gram lookup, but for the RNN's <c>&lt;unk&gt;</c> when words only the n-gram knows exist: one more per such word.
    /// Allocates nothing. −∞ for a word only the RNN knows when the n-gram has no <c>&lt;unk&gt;</c> (a closed vocabulary).
    /// </summary>
    public double LogProb(ReadOnlySpan<int> context, int rnnId)
    {
        var id = _ngramIdOf[rnnId];
        if (id >= 0)
        {
            return _ngram.LogProb10(context, id) * Ln10;
        }

        var share = UnknownShareLog(context);
        if (rnnId != _rnnUnknown || _ngramOnly.Length == 0)
        {
            return share;
        }

        var sum = Math.Exp(share);
        foreach (var n in _ngramOnly)
        {
            sum += Math.Pow(10, _ngram.LogProb10(context, n));
        }

        return Math.Log(sum);
    }

    /// <summary>
    /// Q(w | <paramref name="context"/>) for every RNN id w into <paramref name="destination"/> (|V_rnn| long): one pass of the
    /// n-gram over its whole vocabulary (<see cref="NGramModel.Distribution10"/>), then folded.
    /// </summary>
    public void Distribution(ReadOnlySpan<int> context, Span<double> destination)
    {
        var ngram = ArrayPool<double>.Shared.Rent(_ngram.Words.Count);
        try
        {
            var log10 = ngram.AsSpan(0, _ngram.Words.Count); // [|V_ngram|] log10 p
            _ngram.Distribution10(context, log10);
            var share = _ngram.Unknown < 0 ? 0 : Math.Exp((log10[_ngram.Unknown] * Ln10) + _shareLog);
            for (var r = 0; r < destination.Length; r++)
            {
                var id = _ngramIdOf[r];
                destination[r] = id >= 0 ? Math.Pow(10, log10[id]) : share;
            }

            foreach (var n in _ngramOnly)
            {
                destination[_rnnUnknown] += Math.Pow(10, log10[n]);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(ngram);
        }
    }

    /// <summary>The n-gram ids of a sentence as context: <c>&lt;s&gt;</c>, then each token's id (−1, matching nothing, for a word a closed-vocabulary model lacks).</summary>
    public int[] Context(IReadOnlyList<string> tokens)
    {
        var ids = new int[tokens.Count + 1];
        ids[0] = _ngram.Start;
        for (var i = 0; i < tokens.Count; i++)
        {
            ids[i + 1] = _ngram.IdOf(tokens[i]);
        }

        return ids;
    }

    private double UnknownShareLog(ReadOnlySpan<int> context) =>
        _ngram.Unknown < 0 ? double.NegativeInfinity : (_ngram.LogProb10(context, _ngram.Unknown) * Ln10) + _shareLog;

    // The n-gram id of exactly this word: not <unk> standing in for it, and never <s>, which is context only.
    private static int ExactId(NGramModel ngram, string word)
    {
        var id = ngram.IdOf(word);
        return id >= 0 && id != ngram.Start && ngram.Words[id] == word ? id : -1;
    }
}
