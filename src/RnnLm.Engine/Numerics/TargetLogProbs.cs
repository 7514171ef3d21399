using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// log softmax(logits + bias) at each row's target, without the distribution: what scoring needs of a softmax. A row
/// costs a pass for its maximum and a pass for Σ exp(x − max), each adding the bias on the fly, on the widest vectors
/// the machine has, with the tail on 8, 4 and 1 lanes (<see cref="LaneMath.ExpNonPositive{TLanes, TVector}"/> in every
/// one, so the tail costs no scalar library call).
/// </summary>
/// <remarks>
/// A row's result does not depend on the rows beside it. Numerically approximate: the exponential is within about 2 ulp,
/// and the sum runs per lane and then across lanes, so other kinds give other roundings, within about 1e-6 relative.
/// </remarks>
internal static unsafe class TargetLogProbs
{
    // Vectors of 8 and 4 lanes for the tails of wider ones, as the gates' kernels take them.
    private static readonly bool s_narrowTails = KernelKinds.IsSupported(KernelKind.Vector256) && KernelKinds.IsSupported(KernelKind.Vector128);

    /// <summary>
    /// logProbs[r] = x[t] − log Σ_j exp(x[j]) with x = logits row r ([rows, width]) + <paramref name="bias"/> ([width]) and
    /// t = <paramref name="targets"/>[r], for the rows of <paramref name="targets"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The bias is empty, or a span is shorter than its shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, width).</exception>
    public static void Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> bias, ReadOnlySpan<int> targets, Span<float> logProbs) =>
        Compute(logits, bias, targets, logProbs, KernelKinds.Default);

    /// <summary><see cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float})"/> with the lanes of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">As the public overload.</exception>
    /// <exception cref="ArgumentOutOfRangeException">As the public overload, or this machine cannot run <paramref name="kind"/>.</exception>
    internal static void Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> bias, ReadOnlySpan<int> targets, Span<float> logProbs, KernelKind kind)
    {
        KernelKinds.ThrowIfUnsupported(kind);
        var (rows, width) = (targets.Length, bias.Length);
        if (width == 0 || logits.Length < (long)rows * width || logProbs.Length < rows)
        {
            throw new ArgumentException("Target log-probabilities need a non-empty bias, logits [rows, width] and a result per row.");
        }

        foreach (var target in targets)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)target, (uint)width, nameof(targets));
        }

        fixed (float* l = logits, b = bias, o = logProbs)
        fixed (int* t = targets)
        {
            var kernel = new Kernel(l, b, t, o, rows, width);
            if (kind == KernelKind.Avx512)
            {
                kernel.Run<Lanes512, Vector512<float>>();
            }
            else
            {
                KernelKinds.RunOnLanes(kind, kernel);
            }
        }
    }

    /// <summary>The plain reference in double precision that the kernel is tested against.</summary>
    internal static void Reference(ReadOnlySpan<float> logits, ReadOnlySpan<float> bias, ReadOnlySpan<int> targets, Span<float> logProbs)
    {
        var width = bias.Length;
        for (var r = 0; r < targets.Length; r++)
        {
            var row = logits.Slice(r * width, width);
            var max = double.NegativeInfinity;
            for (var j = 0; j < width; j++)
            {
                max = Math.Max(max, (double)row[j] + bias[j]);
            }

            var sum = 0.0;
            for (var j = 0; j < width; j++)
            {
                sum += Math.Exp((double)row[j] + bias[j] - max);
            }

            logProbs[r] = (float)((double)row[targets[r]] + bias[targets[r]] - max - Math.Log(sum));
        }
    }

    private readonly struct Kernel(float* logits, float* bias, int* targets, float* logProbs, int rows, int width) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var lanes = stackalloc float[TLanes.Count];
            for (var r = 0; r < rows; r++)
            {
                var x = logits + ((long)r * width);
                var max = Max<TLanes, TVector>(x, bias, width, lanes);
                var sum = SumExp<TLanes, TVector>(x, bias, width, max);
                var t = targets[r];
                logProbs[r] = (x[t] + bias[t]) - (max + MathF.Log(sum));
            }
        }
    }

    // max_j (x[j] + b[j]): whole vectors, then 8, 4 and 1 lanes; maxima combine exactly in any order.
    private static float Max<TLanes, TVector>(float* x, float* b, int n, float* lanes)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var j = 0;
        var max = float.NegativeInfinity;
        if (n >= TLanes.Count)
        {
            var acc = TLanes.Create(float.NegativeInfinity);
            for (; j + TLanes.Count <= n; j += TLanes.Count)
            {
                acc = TLanes.Max(acc, TLanes.Add(TLanes.Load(x + j), TLanes.Load(b + j)));
            }

            max = MaxOf<TLanes, TVector>(acc, lanes);
        }

        if (TLanes.Count > 8 && s_narrowTails && j + 8 <= n)
        {
            max = MathF.Max(max, MaxOf<Lanes256, Vector256<float>>(Lanes256.Add(Lanes256.Load(x + j), Lanes256.Load(b + j)), lanes));
            j += 8;
        }

        if (TLanes.Count > 4 && s_narrowTails && j + 4 <= n)
        {
            max = MathF.Max(max, MaxOf<Lanes128, Vector128<float>>(Lanes128.Add(Lanes128.Load(x + j), Lanes128.Load(b + j)), lanes));
            j += 4;
        }

        for (; j < n; j++)
        {
            max = MathF.Max(max, x[j] + b[j]);
        }

        return max;
    }

    // Σ_j exp(x[j] + b[j] − max): a sum per lane of whole vectors, then 8, 4 and 1 lanes, the lanes summed at the end.
    private static float SumExp<TLanes, TVector>(float* x, float* b, int n, float max)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        if (TLanes.Count == 1)
        {
            return SumExpScalar(x, b, n, max);
        }

        var j = 0;
        var sum = 0f;
        var shift = TLanes.Create(max);
        TVector acc = default;
        for (; j + TLanes.Count <= n; j += TLanes.Count)
        {
            acc = TLanes.Add(acc, Exp<TLanes, TVector>(x + j, b + j, shift));
        }

        if (TLanes.Count > 8 && s_narrowTails && j + 8 <= n)
        {
            sum += Lanes256.Sum(Exp<Lanes256, Vector256<float>>(x + j, b + j, Lanes256.Create(max)));
            j += 8;
        }

        if (TLanes.Count > 4 && s_narrowTails && j + 4 <= n)
        {
            sum += Lanes128.Sum(Exp<Lanes128, Vector128<float>>(x + j, b + j, Lanes128.Create(max)));
            j += 4;
        }

        for (; j < n; j++)
        {
            sum += LaneMath.ExpNonPositive<Lanes1, float>((x[j] + b[j]) - max);
        }

        return TLanes.Sum(acc) + sum;
    }

    // Without SIMD: one running float sum over a whole row would lose about √n ulps (a 14,115-word full softmax), where
    // the vector kinds keep a sum per lane; a double sum keeps it exact enough, as Softmax's scalar path does.
    private static float SumExpScalar(float* x, float* b, int n, float max)
    {
        var sum = 0.0;
        for (var j = 0; j < n; j++)
        {
            sum += LaneMath.ExpNonPositive<Lanes1, float>((x[j] + b[j]) - max);
        }

        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Exp<TLanes, TVector>(float* x, float* b, TVector shift)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        LaneMath.ExpNonPositive<TLanes, TVector>(TLanes.Subtract(TLanes.Add(TLanes.Load(x), TLanes.Load(b)), shift));

    // The largest lane, by storing the vector into lanes (room for the widest) and walking it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxOf<TLanes, TVector>(TVector v, float* lanes)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TLanes.Store(v, lanes);
        var max = lanes[0];
        for (var i = 1; i < TLanes.Count; i++)
        {
            max = MathF.Max(max, lanes[i]);
        }

        return max;
    }
}
