using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// Softmax and log-sum-exp over spans: the output layer's hot path. Every function subtracts the maximum
/// before exponentiating, so logits of any finite size are safe; NaN in, NaN out.
/// </summary>
public static class Softmax
{
    /// <summary>
    /// Writes softmax(<paramref name="logits"/>) into <paramref name="destination"/> (which may be the same span)
    /// and returns log Σ exp(logits). Single precision, <see cref="Vector{T}"/>-wide: max, then fused exp and sum,
    /// then one scale. Allocates nothing.
    /// </summary>
    /// <remarks>Numerically approximate: within about 1e-7 absolute of the exact probabilities.</remarks>
    /// <exception cref="ArgumentException">The spans are empty or differ in length.</exception>
    public static float Compute(ReadOnlySpan<float> logits, Span<float> destination) =>
        Compute(logits, destination, Vector.IsHardwareAccelerated);

    /// <summary>
    /// <see cref="Compute(ReadOnlySpan{float}, Span{float})"/> on <see cref="Vector{T}"/> lanes, or with
    /// <paramref name="vectorized"/> false on the scalar path that machines without SIMD take.
    /// </summary>
    /// <exception cref="ArgumentException">The spans are empty or differ in length.</exception>
    internal static float Compute(ReadOnlySpan<float> logits, Span<float> destination, bool vectorized)
    {
        if (logits.IsEmpty || destination.Length != logits.Length)
        {
            throw new ArgumentException("Softmax needs a non-empty destination as long as the logits.", nameof(destination));
        }

        var max = Max(logits, vectorized);
        var sum = ExpShiftedAndSum(logits, destination, max, vectorized);
        Scale(destination, 1f / sum, vectorized);
        return max + MathF.Log(sum);
    }

    /// <summary>log Σ exp(<paramref name="logits"/>), without writing anything.</summary>
    /// <exception cref="ArgumentException">The span is empty.</exception>
    public static float LogSumExp(ReadOnlySpan<float> logits) => LogSumExp(logits, Vector.IsHardwareAccelerated);

    /// <summary><see cref="LogSumExp(ReadOnlySpan{float})"/> on the vector or (<paramref name="vectorized"/> false) the scalar path.</summary>
    /// <exception cref="ArgumentException">The span is empty.</exception>
    internal static float LogSumExp(ReadOnlySpan<float> logits, bool vectorized)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("Log-sum-exp needs at least one logit.", nameof(logits));
        }

        var max = Max(logits, vectorized);
        return max + MathF.Log(ExpShiftedAndSum(logits, default, max, vectorized));
    }

    /// <summary>The plain scalar reference in double precision that the fast kernel is tested against.</summary>
    public static double ComputeReference(ReadOnlySpan<float> logits, Span<double> destination)
    {
        if (logits.IsEmpty || destination.Length != logits.Length)
        {
            throw new ArgumentException("Softmax needs a non-empty destination as long as the logits.", nameof(destination));
        }

        double max = double.NegativeInfinity;
        foreach (var x in logits)
        {
            max = Math.Max(max, x);
        }

        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            destination[i] = Math.Exp(logits[i] - max);
            sum += destination[i];
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] /= sum;
        }

        return max + Math.Log(sum);
    }

    /// <summary>Softmax for any precision: the float kernel for float, a plain loop otherwise (gradient checks).</summary>
    internal static T Compute<T>(ReadOnlySpan<T> logits, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var result = Compute(MemoryMarshal.Cast<T, float>(logits), MemoryMarshal.Cast<T, float>(destination));
            return Unsafe.As<float, T>(ref result);
        }

        if (logits.IsEmpty || destination.Length != logits.Length)
        {
            throw new ArgumentException("Softmax needs a non-empty destination as long as the logits.", nameof(destination));
        }

        var max = T.NegativeInfinity;
        foreach (var x in logits)
        {
            max = T.Max(max, x);
        }

        var sum = T.Zero;
        for (var i = 0; i < logits.Length; i++)
        {
            destination[i] = T.Exp(logits[i] - max);
            sum += destination[i];
        }

        var scale = T.One / sum;
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] *= scale;
        }

        return max + T.Log(sum);
    }

    private static float Max(ReadOnlySpan<float> values, bool vectorized)
    {
        var i = 0;
        var max = float.NegativeInfinity;
        if (vectorized && values.Length >= Vector<float>.Count)
        {
            var acc = new Vector<float>(float.NegativeInfinity);
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            foreach (var v in vectors)
            {
                acc = Vector.Max(acc, v);
            }

            i = vectors.Length * Vector<float>.Count;
            for (var lane = 0; lane < Vector<float>.Count; lane++)
            {
                max = MathF.Max(max, acc[lane]);
            }
        }

        for (; i < values.Length; i++)
        {
            max = MathF.Max(max, values[i]);
        }

        return max;
    }

    // exp(x - max) summed; stored into destination unless it is empty. One pass keeps the logits in cache once.
    private static float ExpShiftedAndSum(ReadOnlySpan<float> logits, Span<float> destination, float max, bool vectorized)
    {
        if (!vectorized)
        {
            return ExpShiftedAndSumScalar(logits, destination, max);
        }

        var store = !destination.IsEmpty;
        var i = 0;
        var sum = 0f;
        if (logits.Length >= Vector<float>.Count)
        {
            var shift = new Vector<float>(max);
            var acc = Vector<float>.Zero;
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(logits);
            var outputs = store ? MemoryMarshal.Cast<float, Vector<float>>(destination) : default;
            for (var k = 0; k < vectors.Length; k++)
            {
                var e = Exp(vectors[k] - shift);
                acc += e;
                if (store)
                {
                    outputs[k] = e;
                }
            }

            i = vectors.Length * Vector<float>.Count;
            sum = Vector.Sum(acc);
        }

        for (; i < logits.Length; i++)
        {
            var e = MathF.Exp(logits[i] - max);
            sum += e;
            if (store)
            {
                destination[i] = e;
            }
        }

        return sum;
    }

    // Without SIMD: one running sum over the whole row would lose about √n ulps (1.7e-6 on a 20,000-word row,
    // over the documented accuracy), where the vector path keeps a sum per lane; a double sum keeps it exact enough.
    private static float ExpShiftedAndSumScalar(ReadOnlySpan<float> logits, Span<float> destination, float max)
    {
        var store = !destination.IsEmpty;
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            var e = MathF.Exp(logits[i] - max);
            sum += e;
            if (store)
            {
                destination[i] = e;
            }
        }

        return (float)sum;
    }

    /// <summary>
    /// e^x for x ≤ 0 (the shifted logits), Cephes-style: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split
    /// of ln2), e^r by a degree-6 polynomial, 2^n put straight into the exponent bits. About 2 ulp; inputs below
    /// −87.3 give exactly 0 rather than a denormal, which would slow every later product it enters.
    /// </summary>
    internal static Vector<float> Exp(Vector<float> x)
    {
        var underflow = Vector.LessThan(x, new Vector<float>(-87.33654f));
        x = Vector.Max(x, new Vector<float>(-87.33654f));
        var n = Vector.Floor(Vector.FusedMultiplyAdd(x, new Vector<float>(1.44269504088896341f), new Vector<float>(0.5f)));
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-0.693359375f), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(2.12194440e-4f), r);
        var p = new Vector<float>(1.9875691500e-4f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.3981999507e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201e-1f));
        var y = Vector.FusedMultiplyAdd(p * r, r, r) + Vector<float>.One;
        var exponent = Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23);
        var result = y * Vector.AsVectorSingle(exponent);
        return Vector.ConditionalSelect(Vector.AsVectorSingle(underflow), Vector<float>.Zero, result);
    }

    private static void Scale(Span<float> values, float factor, bool vectorized)
    {
        var i = 0;
        if (vectorized && values.Length >= Vector<float>.Count)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            var f = new Vector<float>(factor);
            for (var k = 0; k < vectors.Length; k++)
            {
                vectors[k] *= f;
            }

            i = vectors.Length * Vector<float>.Count;
        }

        for (; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }
}
