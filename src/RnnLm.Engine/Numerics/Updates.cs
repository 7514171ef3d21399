using System.Numerics;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// The optimisers' element-wise steps over a span of weights with their gradient (and AdaGrad's accumulators), and the
/// squared norm of a gradient. Every element's result is made of correctly rounded operations only (multiply, add,
/// subtract, divide, square root; no fused multiply-add), so an element gets the same bits in a vector's lane and in
/// the scalar tail, whatever span it is part of: a split of the work over threads never changes a weight.
/// </summary>
/// <remarks>Each kernel takes <c>vectorized: false</c> to run its scalar path alone, as a machine without SIMD does (for tests).</remarks>
internal static class Updates
{
    // A squared norm is summed in T over chunks of this many elements (from the span's start), and the chunks in double:
    // the same order for the same span on every run, and float's error stays that of a thousand terms.
    private const int NormChunk = 1024;

    /// <summary>SGD: w ← w·keep − rate·(scale·g), then g ← 0.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void Sgd<T>(Span<T> weights, Span<T> gradient, T rate, T scale, T keep, bool vectorized = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradient.Length != weights.Length)
        {
            throw new ArgumentException("Weights and gradient differ in length.");
        }

        var i = 0;
        if (vectorized && Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var (rates, scales, keeps) = (new Vector<T>(rate), new Vector<T>(scale), new Vector<T>(keep));
            for (; i + Vector<T>.Count <= weights.Length; i += Vector<T>.Count)
            {
                var w = new Vector<T>(weights[i..]);
                var g = scales * new Vector<T>(gradient[i..]);
                ((w * keeps) - (rates * g)).CopyTo(weights[i..]);
            }
        }

        for (; i < weights.Length; i++)
        {
            weights[i] = (weights[i] * keep) - (rate * (scale * gradient[i]));
        }

        gradient.Clear();
    }

    /// <summary>AdaGrad: G = scale·g; A ← A + G²; w ← w·keep − rate·G / (√A + epsilon), then g ← 0.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void AdaGrad<T>(Span<T> weights, Span<T> gradient, Span<T> accumulators, T rate, T scale, T keep, T epsilon, bool vectorized = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradient.Length != weights.Length || accumulators.Length != weights.Length)
        {
            throw new ArgumentException("Weights, gradient and accumulators differ in length.");
        }

        var i = 0;
        if (vectorized && Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var (rates, scales, keeps, epsilons) = (new Vector<T>(rate), new Vector<T>(scale), new Vector<T>(keep), new Vector<T>(epsilon));
            for (; i + Vector<T>.Count <= weights.Length; i += Vector<T>.Count)
            {
                var g = scales * new Vector<T>(gradient[i..]);
                var a = new Vector<T>(accumulators[i..]) + (g * g);
                a.CopyTo(accumulators[i..]);
                var w = new Vector<T>(weights[i..]);
                ((w * keeps) - ((rates * g) / (Vector.SquareRoot(a) + epsilons))).CopyTo(weights[i..]);
            }
        }

        for (; i < weights.Length; i++)
        {
            var g = scale * gradient[i];
            var a = accumulators[i] += g * g;
            weights[i] = (weights[i] * keep) - (rate * g / (T.Sqrt(a) + epsilon));
        }

        gradient.Clear();
    }

    /// <summary>Σ x², summed in a fixed order: the same span gives the same bits every time.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> values, bool vectorized = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (var start = 0; start < values.Length; start += NormChunk)
        {
            total += double.CreateTruncating(ChunkSumOfSquares(values.Slice(start, Math.Min(NormChunk, values.Length - start)), vectorized));
        }

        return total;
    }

    private static T ChunkSumOfSquares<T>(ReadOnlySpan<T> values, bool vectorized)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        var sum = T.Zero;
        if (vectorized && Vector.IsHardwareAccelerated && Vector<T>.IsSupported && values.Length >= Vector<T>.Count)
        {
            var lanes = Vector<T>.Zero;
            for (; i + Vector<T>.Count <= values.Length; i += Vector<T>.Count)
            {
                var x = new Vector<T>(values[i..]);
                lanes += x * x;
            }

            sum = Vector.Sum(lanes);
        }

        for (; i < values.Length; i++)
        {
            sum += values[i] * values[i];
        }

        return sum;
    }
}
