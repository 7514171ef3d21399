using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RnnLm.Engine.Numerics;

// The float kernels, written once over ILanes: each runs its element step on whole vectors, then on the tail with
// narrower vectors and Lanes1, which performs the same operations one float at a time (fused multiply-adds included),
// so an element's bits do not depend on whether it fell in a vector or in the tail, nor on the vectors' width.
internal static unsafe partial class Gates
{
    // Vectors of 8 and 4 lanes for the tails of wider ones: a machine with wider vectors has these too.
    private static readonly bool s_narrowTails = KernelKinds.IsSupported(KernelKind.Vector256) && KernelKinds.IsSupported(KernelKind.Vector128);

    // Cephes-style tanhf polynomial for |x| < 0.625: tanh x = x + x·s·P(s), s = x².
    private const float Tanh4 = -5.70498872745e-3f;
    private const float Tanh3 = 2.06390887954e-2f;
    private const float Tanh2 = -5.37397155531e-2f;
    private const float Tanh1 = 1.33314422036e-1f;
    private const float Tanh0 = -3.33332819422e-1f;
    private const float TanhSmall = 0.625f;

    /// <summary>σ(x) from e = e^−|x|: 1 / (1 + e) for x ≥ 0, e / (1 + e) below, so neither side loses its small values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Sigmoid<TLanes, TVector>(TVector x)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var e = LaneMath.ExpNonPositive<TLanes, TVector>(TLanes.Subtract(TLanes.Create(0f), TLanes.Abs(x)));
        var s = TLanes.Divide(TLanes.Create(1f), TLanes.Add(TLanes.Create(1f), e));
        return TLanes.IfLess(x, TLanes.Create(0f), TLanes.Multiply(e, s), s);
    }

    /// <summary>tanh x: the odd polynomial below |x| = 0.625, else ±(1 − e) / (1 + e) with e = e^−2|x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Tanh<TLanes, TVector>(TVector x)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var a = TLanes.Abs(x);
        var one = TLanes.Create(1f);
        var e = LaneMath.ExpNonPositive<TLanes, TVector>(TLanes.Multiply(TLanes.Create(-2f), a));
        var large = TLanes.Divide(TLanes.Subtract(one, e), TLanes.Add(one, e));
        large = TLanes.IfLess(x, TLanes.Create(0f), TLanes.Subtract(TLanes.Create(0f), large), large);
        var s = TLanes.Multiply(x, x);
        var p = TLanes.MultiplyAdd(TLanes.Create(Tanh4), s, TLanes.Create(Tanh3));
        p = TLanes.MultiplyAdd(p, s, TLanes.Create(Tanh2));
        p = TLanes.MultiplyAdd(p, s, TLanes.Create(Tanh1));
        p = TLanes.MultiplyAdd(p, s, TLanes.Create(Tanh0));
        var small = TLanes.MultiplyAdd(TLanes.Multiply(p, s), x, x);
        return TLanes.IfLess(a, TLanes.Create(TanhSmall), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Clamp<TLanes, TVector>(TVector x, float clip)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        TLanes.Min(TLanes.Max(x, TLanes.Create(-clip)), TLanes.Create(clip));

    // x(1 − x): the derivative of σ at the value x.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector SigmoidSlope<TLanes, TVector>(TVector x)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        TLanes.Multiply(x, TLanes.Subtract(TLanes.Create(1f), x));

    // 1 − x²: the derivative of tanh at the value x.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector TanhSlope<TLanes, TVector>(TVector x)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        TLanes.MultiplyAdd(TLanes.Subtract(TLanes.Create(0f), x), x, TLanes.Create(1f));

    // The largest |delta| seen so far: zero exactly when every delta was zero.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Largest<TLanes, TVector>(TVector largest, TVector delta)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct =>
        TLanes.Max(largest, TLanes.Abs(delta));

    // One element step of a kernel, on lanes of any width; backward steps also fold |delta| into the largest so far.
    private interface IElementStep
    {
        TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct;
    }

    // The step over [0, n): whole vectors, then what is left on 8 and 4 lanes where the vectors are wider (a scalar
    // element costs about what a vector does), then one float at a time. Returns whether any delta was non-zero.
    private static bool Sweep<TLanes, TVector, TStep>(in TStep step, int n)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TStep : struct, IElementStep
    {
        TVector largest = default;
        Vector256<float> eights = default;
        Vector128<float> fours = default;
        var tail = 0f;
        var j = 0;
        for (; j + TLanes.Count <= n; j += TLanes.Count)
        {
            largest = step.At<TLanes, TVector>(j, largest);
        }

        if (TLanes.Count > 8 && s_narrowTails)
        {
            for (; j + 8 <= n; j += 8)
            {
                eights = step.At<Lanes256, Vector256<float>>(j, eights);
            }
        }

        if (TLanes.Count > 4 && s_narrowTails)
        {
            for (; j + 4 <= n; j += 4)
            {
                fours = step.At<Lanes128, Vector128<float>>(j, fours);
            }
        }

        for (; j < n; j++)
        {
            tail = step.At<Lanes1, float>(j, tail);
        }

        return TLanes.Sum(largest) != 0 || Lanes256.Sum(eights) != 0 || Lanes128.Sum(fours) != 0 || tail != 0;
    }

    // A step swept over a row on the lanes RunElementwise picks; whether any delta was non-zero goes to any (when given).
    private readonly struct Swept<TStep>(TStep step, int n, bool* any) : ILanesKernel
        where TStep : struct, IElementStep
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var result = Sweep<TLanes, TVector, TStep>(step, n);
            if (any != null)
            {
                *any = result;
            }
        }
    }

    private readonly struct GruGatesKernel(float* gates, float* previous, float* reset, int n) : IElementStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var r = Sigmoid<TLanes, TVector>(TLanes.Load(gates + j));
            TLanes.Store(r, gates + j);
            TLanes.Store(Sigmoid<TLanes, TVector>(TLanes.Load(gates + n + j)), gates + n + j);
            TLanes.Store(TLanes.Multiply(r, TLanes.Load(previous + j)), reset + j);
            return largest;
        }
    }

    private readonly struct GruHiddenKernel(float* candidate, float* update, float* previous, float* hidden) : IElementStep
    {
        // z ⊙ h(t−1) + (1 − z) ⊙ n as n + z ⊙ (h(t−1) − n): one fused step.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var c = Tanh<TLanes, TVector>(TLanes.Load(candidate + j));
            TLanes.Store(c, candidate + j);
            TLanes.Store(TLanes.MultiplyAdd(TLanes.Load(update + j), TLanes.Subtract(TLanes.Load(previous + j), c), c), hidden + j);
            return largest;
        }
    }

    private readonly struct LstmKernel(float* gates, float* previousMemory, float* memory, float* hidden, int n) : IElementStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var pi = gates + j;
            var pf = pi + n;
            var pg = pf + n;
            var po = pg + n;
            var i = Sigmoid<TLanes, TVector>(TLanes.Load(pi));
            var f = Sigmoid<TLanes, TVector>(TLanes.Load(pf));
            var g = Tanh<TLanes, TVector>(TLanes.Load(pg));
            var o = Sigmoid<TLanes, TVector>(TLanes.Load(po));
            TLanes.Store(i, pi);
            TLanes.Store(f, pf);
            TLanes.Store(g, pg);
            TLanes.Store(o, po);
            var c = TLanes.MultiplyAdd(f, TLanes.Load(previousMemory + j), TLanes.Multiply(i, g));
            TLanes.Store(c, memory + j);
            TLanes.Store(TLanes.Multiply(o, Tanh<TLanes, TVector>(c)), hidden + j);
            return largest;
        }
    }

    private readonly struct GruDeltaKernel(float* carry, float* output, float* gates, float* previous, float* deltas, int n, float clip) : IElementStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var dh = TLanes.Load(carry + j);
            if (output != null)
            {
                dh = TLanes.Add(dh, TLanes.Load(output + j));
            }

            var z = TLanes.Load(gates + n + j);
            var c = TLanes.Load(gates + (2 * n) + j);
            var dz = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(dh, TLanes.Subtract(TLanes.Load(previous + j), c)), SigmoidSlope<TLanes, TVector>(z)), clip);
            var dc = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(dh, TLanes.Subtract(TLanes.Create(1f), z)), TanhSlope<TLanes, TVector>(c)), clip);
            TLanes.Store(dz, deltas + n + j);
            TLanes.Store(dc, deltas + (2 * n) + j);
            TLanes.Store(TLanes.Multiply(dh, z), carry + j);
            return Largest<TLanes, TVector>(Largest<TLanes, TVector>(largest, dz), dc);
        }
    }

    private readonly struct GruResetDeltaKernel(float* resetGradient, float* gates, float* previous, float* deltas, float* carry, float clip) : IElementStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var gradient = TLanes.Load(resetGradient + j);
            var r = TLanes.Load(gates + j);
            var dr = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(gradient, TLanes.Load(previous + j)), SigmoidSlope<TLanes, TVector>(r)), clip);
            TLanes.Store(dr, deltas + j);
            TLanes.Store(TLanes.MultiplyAdd(gradient, r, TLanes.Load(carry + j)), carry + j);
            return Largest<TLanes, TVector>(largest, dr);
        }
    }

    private readonly struct LstmDeltaKernel(float* carry, float* output, float* memoryCarry, float* gates, float* memory, float* previousMemory,
                                            float* deltas, int n, float clip) : IElementStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVector At<TLanes, TVector>(int j, TVector largest)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var dh = TLanes.Load(carry + j);
            if (output != null)
            {
                dh = TLanes.Add(dh, TLanes.Load(output + j));
            }

            var i = TLanes.Load(gates + j);
            var f = TLanes.Load(gates + n + j);
            var g = TLanes.Load(gates + (2 * n) + j);
            var o = TLanes.Load(gates + (3 * n) + j);
            var squashed = Tanh<TLanes, TVector>(TLanes.Load(memory + j));
            var dc = TLanes.MultiplyAdd(TLanes.Multiply(dh, o), TanhSlope<TLanes, TVector>(squashed), TLanes.Load(memoryCarry + j));
            var di = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(dc, g), SigmoidSlope<TLanes, TVector>(i)), clip);
            var df = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(dc, TLanes.Load(previousMemory + j)), SigmoidSlope<TLanes, TVector>(f)), clip);
            var dg = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(dc, i), TanhSlope<TLanes, TVector>(g)), clip);
            var dout = Clamp<TLanes, TVector>(TLanes.Multiply(TLanes.Multiply(dh, squashed), SigmoidSlope<TLanes, TVector>(o)), clip);
            TLanes.Store(di, deltas + j);
            TLanes.Store(df, deltas + n + j);
            TLanes.Store(dg, deltas + (2 * n) + j);
            TLanes.Store(dout, deltas + (3 * n) + j);
            TLanes.Store(TLanes.Multiply(dc, f), memoryCarry + j);
            return Largest<TLanes, TVector>(Largest<TLanes, TVector>(Largest<TLanes, TVector>(Largest<TLanes, TVector>(largest, di), df), dg), dout);
        }
    }
}
