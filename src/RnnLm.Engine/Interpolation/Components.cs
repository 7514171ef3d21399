using RnnLm.Engine.Inference;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.Interpolation;

/// <summary>One predicted token's two component log-probabilities, from which any mixture follows.</summary>
/// <param name="Token">The token as written in the input, or <c>&lt;/s&gt;</c>.</param>
/// <param name="ModelToken">The RNN vocabulary entry scored: the token itself, <c>&lt;unk&gt;</c> or <c>&lt;/s&gt;</c>.</param>
/// <param name="RnnLogProb">ln P_rnn(token | history): exactly what <see cref="LanguageModel.Score"/> gives.</param>
/// <param name="NGramLogProb">ln of the n-gram's probability folded onto the RNN's vocabulary (<see cref="InterpolatedModel"/> says how); −∞ possible only with a closed-vocabulary n-gram.</param>
public sealed record TokenComponents(string Token, string ModelToken, double RnnLogProb, double NGramLogProb)
{
    /// <summary>Whether the RNN scored the token as <c>&lt;unk&gt;</c>.</summary>
    public bool IsUnknown => ModelToken == Vocabulary.UnknownToken;

    /// <summary>ln(λ·P_rnn + (1 − λ)·P_ngram).</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    public double LogProb(double lambda) => Mixture.LogProb(RnnLogProb, NGramLogProb, lambda);
}

/// <summary>A sentence's tokens with both components: every word and the final <c>&lt;/s&gt;</c>.</summary>
public sealed record SentenceComponents(IReadOnlyList<TokenComponents> Tokens)
{
    /// <summary>The sentence scored by the mixture with weight <paramref name="lambda"/> on the RNN.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    /// <exception cref="InvalidDataException">A token has probability 0 under the mixture (λ = 0 and a closed-vocabulary n-gram lacking it).</exception>
    public SentenceScore Mix(double lambda)
    {
        var scores = new TokenScore[Tokens.Count];
        double total = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var token = Tokens[i];
            var logProb = Finite(token.LogProb(lambda), token.Token);
            scores[i] = new TokenScore(token.Token, token.ModelToken, logProb);
            total += logProb;
        }

        return new SentenceScore(scores, total);
    }

    internal static double Finite(double logProb, string token) => double.IsNegativeInfinity(logProb)
        ? throw new InvalidDataException($"'{token}' has probability 0 under the mixture: the n-gram model has a closed vocabulary without it; use a λ above 0.")
        : logProb;
}

/// <summary>
/// Both components of every predicted token of a text, kept flat (a token's index runs over the sentences in order), so that
/// mixing at any λ or fitting λ costs no model call.
/// </summary>
public sealed class CorpusComponents
{
    private readonly double[] _rnn;    // [tokens] ln P_rnn
    private readonly double[] _ngram;  // [tokens] ln Q, the folded n-gram
    private readonly int[] _starts;    // [sentences + 1] where each sentence's tokens begin

    internal CorpusComponents(double[] rnn, double[] ngram, int[] starts, long unknownTokens)
    {
        (_rnn, _ngram, _starts) = (rnn, ngram, starts);
        UnknownTokens = unknownTokens;
    }

    /// <summary>Sentences scored.</summary>
    public long Sentences => _starts.Length - 1;

    /// <summary>Predicted tokens, one <c>&lt;/s&gt;</c> per sentence included.</summary>
    public long Tokens => _rnn.Length;

    /// <summary>Tokens the RNN scored as <c>&lt;unk&gt;</c>.</summary>
    public long UnknownTokens { get; }

    /// <summary>ln P_rnn of each token.</summary>
    public ReadOnlySpan<double> RnnLogProbs => _rnn;

    /// <summary>ln of the folded n-gram probability of each token.</summary>
    public ReadOnlySpan<double> NGramLogProbs => _ngram;

    /// <summary>The text's score under the mixture (summed per sentence, then over sentences in order).</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    /// <exception cref="InvalidDataException">A token has probability 0 under the mixture.</exception>
    public CorpusScore Mix(double lambda)
    {
        double total = 0;
        for (var s = 0; s + 1 < _starts.Length; s++)
        {
            total += Sentence(s, lambda).Mixed;
        }

        return double.IsNegativeInfinity(total)
            ? throw new InvalidDataException("A token of the text has probability 0 under the mixture: the n-gram model has a closed vocabulary without it; use a λ above 0.")
            : new CorpusScore(Sentences, Tokens, UnknownTokens, total);
    }

    /// <summary>
    /// Sentence <paramref name="sentence"/>'s log-probability under each component and under the mixture, each summed over its
    /// tokens in order, as <see cref="SentenceComponents.Mix"/> sums them (−∞ possible for the mixture, as for the n-gram).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    public (double Rnn, double NGram, double Mixed) Sentence(int sentence, double lambda)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sentence);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sentence, _starts.Length - 1);
        double rnn = 0, ngram = 0, mixed = 0;
        for (var t = _starts[sentence]; t < _starts[sentence + 1]; t++)
        {
            rnn += _rnn[t];
            ngram += _ngram[t];
            mixed += Mixture.LogProb(_rnn[t], _ngram[t], lambda);
        }

        return (rnn, ngram, mixed);
    }

    /// <summary>The λ that maximizes the text's likelihood under the mixture (<see cref="LambdaTuner.Fit"/>).</summary>
    public double FitLambda() => LambdaTuner.Fit(_rnn, _ngram);
}
