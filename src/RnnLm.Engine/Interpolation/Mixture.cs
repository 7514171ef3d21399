namespace RnnLm.Engine.Interpolation;

/// <summary>
/// Linear interpolation of two language models in probability space, as Mikolov's rnnlm does with <c>-lm-prob</c> and
/// <c>-lambda</c>: P = λ·P_rnn + (1 − λ)·P_ngram, per token.
/// </summary>
public static class Mixture
{
    /// <summary>
    /// λ when none is given: rnnlm's default (<c>-lambda</c>, 0.75), which leans on the RNN as the stronger model. The best λ
    /// depends on the pair of models and the text; <see cref="LambdaTuner"/> finds it on a validation text.
    /// </summary>
    public const double DefaultLambda = 0.75;

    /// <summary>Whether <paramref name="lambda"/> is a weight: a number from 0 (the n-gram alone) to 1 (the RNN alone).</summary>
    public static bool IsValidLambda(double lambda) => lambda is >= 0 and <= 1;

    /// <summary>The reason a λ is refused, for messages: one sentence, no field name.</summary>
    public const string LambdaRule = "Must be a number from 0 (the n-gram model alone) to 1 (the RNN alone).";

    /// <summary>
    /// ln(λ·e^<paramref name="rnnLogProb"/> + (1 − λ)·e^<paramref name="ngramLogProb"/>), computed as a log-sum-exp so that
    /// tiny probabilities neither underflow nor lose digits. λ = 1 returns <paramref name="rnnLogProb"/> and λ = 0
    /// <paramref name="ngramLogProb"/> exactly; −∞ when both weighted parts are 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not in [0, 1].</exception>
    public static double LogProb(double rnnLogProb, double ngramLogProb, double lambda)
    {
        if (!IsValidLambda(lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, LambdaRule);
        }

        if (lambda == 1)
        {
            return rnnLogProb;
        }

        if (lambda == 0)
        {
            return ngramLogProb;
        }

        var a = Math.Log(lambda) + rnnLogProb;
        var b = Math.Log(1 - lambda) + ngramLogProb;
        var (high, low) = a >= b ? (a, b) : (b, a);
        return double.IsNegativeInfinity(high) ? high : high + double.LogP1(Math.Exp(low - high));
    }
}
