namespace RnnLm.Engine.Interpolation;

/// <summary>
/// Chooses the mixture weight λ that maximizes L(λ) = Σ_t ln(λ·p_t + (1 − λ)·q_t) over a validation text's tokens.
/// </summary>
/// <remarks>
/// L is concave in λ, so its derivative L′(λ) = Σ_t (p_t − q_t) / (λ·p_t + (1 − λ)·q_t) falls from λ = 0 to λ = 1 and the
/// maximum is where it crosses zero, or at an end when it does not. Bisecting L′ finds that point to within 1e-12 in 40-odd
/// passes over the tokens, the ends included; it is the fixed point that EM for a mixture weight
/// (λ ← mean_t λ·p_t / (λ·p_t + (1 − λ)·q_t)) converges to, without EM's slow approach when the optimum is near 0 or 1.
/// </remarks>
public static class LambdaTuner
{
    private const double Tolerance = 1e-12;

    /// <summary>The λ in [0, 1] that maximizes the summed log-likelihood of the tokens.</summary>
    /// <param name="rnnLogProbs">ln p_t, the first model's log-probability of each token.</param>
    /// <param name="ngramLogProbs">ln q_t, the second model's, token for token.</param>
    /// <exception cref="ArgumentException">The two spans differ in length, or no token has a non-zero probability under either model.</exception>
    public static double Fit(ReadOnlySpan<double> rnnLogProbs, ReadOnlySpan<double> ngramLogProbs)
    {
        if (rnnLogProbs.Length != ngramLogProbs.Length)
        {
            throw new ArgumentException("Both models must give a log-probability for every token.", nameof(ngramLogProbs));
        }

        // Each token's pair scaled by its larger member, so that neither underflows: the ratio in L′ is unchanged.
        var p = new double[rnnLogProbs.Length];
        var q = new double[rnnLogProbs.Length];
        var count = 0;
        for (var t = 0; t < p.Length; t++)
        {
            var larger = Math.Max(rnnLogProbs[t], ngramLogProbs[t]);
            if (!double.IsNegativeInfinity(larger))
            {
                (p[count], q[count]) = (Math.Exp(rnnLogProbs[t] - larger), Math.Exp(ngramLogProbs[t] - larger));
                count++;
            }
        }

        if (count == 0)
        {
            throw new ArgumentException("No token has a non-zero probability under either model.", nameof(rnnLogProbs));
        }

        var ps = p.AsSpan(0, count);
        var qs = q.AsSpan(0, count);
        if (Slope(ps, qs, 1) >= 0)
        {
            return 1;
        }

        if (Slope(ps, qs, 0) <= 0)
        {
            return 0;
        }

        double low = 0, high = 1;
        while (high - low > Tolerance)
        {
            var middle = 0.5 * (low + high);
            if (Slope(ps, qs, middle) > 0)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return 0.5 * (low + high);
    }

    /// <summary>L′(λ); +∞ at λ = 0 when some token has q = 0 and p above it, −∞ at λ = 1 when some token has p = 0 and q above it.</summary>
    internal static double Slope(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double lambda)
    {
        double sum = 0;
        for (var t = 0; t < p.Length; t++)
        {
            sum += (p[t] - q[t]) / ((lambda * p[t]) + ((1 - lambda) * q[t]));
        }

        return sum;
    }
}
