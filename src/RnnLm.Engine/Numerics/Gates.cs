using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// The element-wise math of the hidden layers, forward and back, one row (one stream's step) at a time: the sigmoid
/// layer's derivative, and the GRU's and LSTM's gates, fused so that one pass over a row does every activation,
/// product and derivative of a step. The matrix products around them are <see cref="Gemm"/>'s.
/// </summary>
/// <remarks>
/// <para>
/// Block order, as in I, H and b1: the GRU's gates are [r | z | n], the LSTM's [i | f | g | o], each Dh wide.
/// Backward, every pre-activation delta is clipped to ±clip, as the sigmoid layer's is (rnnlm's cutoff); the LSTM's
/// memory gradient is carried unclipped.
/// </para>
/// <para>
/// For <see langword="float"/> the kernels run on the lanes of a <see cref="KernelKind"/> (Gates.Lanes); every element
/// gets the same operations in a vector lane and in the scalar tail, so a row's bits do not depend on its width or on
/// which rows share a thread. Their sigmoid and tanh are polynomial approximations within a few ulp (tested against
/// this file's references). Other element types (double-precision gradient checks) run the plain references here.
/// </para>
/// </remarks>
internal static unsafe partial class Gates
{
    // ---- forward ----

    /// <summary>
    /// The GRU's gates: <paramref name="gates"/> = [pre r | pre z] (2·Dh) become [r | z] = σ(·) in place, and
    /// <paramref name="reset"/> = r ⊙ <paramref name="previous"/> (Dh), the recurrent input of the candidate.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths do not fit one Dh.</exception>
    public static void GruGates<T>(Span<T> gates, ReadOnlySpan<T> previous, Span<T> reset)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GruGates(gates, previous, reset, KernelKinds.Default);

    /// <inheritdoc cref="GruGates{T}(Span{T}, ReadOnlySpan{T}, Span{T})"/>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void GruGates<T>(Span<T> gates, ReadOnlySpan<T> previous, Span<T> reset, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previous.Length;
        Check(n, (gates.Length, 2), (reset.Length, 1));
        if (typeof(T) != typeof(float))
        {
            GruGatesReference(gates, previous, reset);
            return;
        }

        KernelKinds.ThrowIfUnsupported(kind);
        fixed (T* g = gates, p = previous, r = reset)
        {
            KernelKinds.RunElementwise(kind, new Swept<GruGatesKernel>(new GruGatesKernel((float*)g, (float*)p, (float*)r, n), n, null));
        }
    }

    /// <summary>
    /// The GRU's new state: <paramref name="candidate"/> (Dh, pre n) becomes n = tanh(·) in place, and
    /// <paramref name="hidden"/> = z ⊙ <paramref name="previous"/> + (1 − z) ⊙ n with z = <paramref name="update"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public static void GruHidden<T>(Span<T> candidate, ReadOnlySpan<T> update, ReadOnlySpan<T> previous, Span<T> hidden)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GruHidden(candidate, update, previous, hidden, KernelKinds.Default);

    /// <inheritdoc cref="GruHidden{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void GruHidden<T>(Span<T> candidate, ReadOnlySpan<T> update, ReadOnlySpan<T> previous, Span<T> hidden, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previous.Length;
        Check(n, (candidate.Length, 1), (update.Length, 1), (hidden.Length, 1));
        if (typeof(T) != typeof(float))
        {
            GruHiddenReference(candidate, update, previous, hidden);
            return;
        }

        KernelKinds.ThrowIfUnsupported(kind);
        fixed (T* c = candidate, z = update, p = previous, h = hidden)
        {
            KernelKinds.RunElementwise(kind, new Swept<GruHiddenKernel>(new GruHiddenKernel((float*)c, (float*)z, (float*)p, (float*)h), n, null));
        }
    }

    /// <summary>
    /// The LSTM's step: <paramref name="gates"/> = pre [i | f | g | o] (4·Dh) become [σ | σ | tanh | σ](·) in place;
    /// <paramref name="memory"/> = f ⊙ <paramref name="previousMemory"/> + i ⊙ g and <paramref name="hidden"/> =
    /// o ⊙ tanh(memory) (each Dh).
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths do not fit one Dh.</exception>
    public static void Lstm<T>(Span<T> gates, ReadOnlySpan<T> previousMemory, Span<T> memory, Span<T> hidden)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Lstm(gates, previousMemory, memory, hidden, KernelKinds.Default);

    /// <inheritdoc cref="Lstm{T}(Span{T}, ReadOnlySpan{T}, Span{T}, Span{T})"/>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void Lstm<T>(Span<T> gates, ReadOnlySpan<T> previousMemory, Span<T> memory, Span<T> hidden, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previousMemory.Length;
        Check(n, (gates.Length, 4), (memory.Length, 1), (hidden.Length, 1));
        if (typeof(T) != typeof(float))
        {
            LstmReference(gates, previousMemory, memory, hidden);
            return;
        }

        KernelKinds.ThrowIfUnsupported(kind);
        fixed (T* g = gates, cp = previousMemory, c = memory, h = hidden)
        {
            KernelKinds.RunElementwise(kind, new Swept<LstmKernel>(new LstmKernel((float*)g, (float*)cp, (float*)c, (float*)h, n), n, null));
        }
    }

    // ---- backward ----

    /// <summary>
    /// The sigmoid layer: delta = clamp((<paramref name="carry"/> + <paramref name="output"/>) ⊙ h(1 − h), ±clip), where
    /// <paramref name="output"/> (the output layer's gradient) may be empty (before the block). Returns whether any
    /// element is non-zero. Vector lanes and the scalar tail do the same arithmetic, element by element.
    /// </summary>
    public static bool SigmoidDelta<T>(ReadOnlySpan<T> carry, ReadOnlySpan<T> output, ReadOnlySpan<T> h, Span<T> delta, T clip)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var any = false;
        var j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var (low, high) = (new Vector<T>(-clip), new Vector<T>(clip));
            for (; j + Vector<T>.Count <= delta.Length; j += Vector<T>.Count)
            {
                var gradient = new Vector<T>(carry[j..]);
                if (!output.IsEmpty)
                {
                    gradient += new Vector<T>(output[j..]);
                }

                var hv = new Vector<T>(h[j..]);
                var value = Vector.Clamp(gradient * hv * (Vector<T>.One - hv), low, high);
                value.CopyTo(delta[j..]);
                any |= !Vector.EqualsAll(value, Vector<T>.Zero);
            }
        }

        for (; j < delta.Length; j++)
        {
            var gradient = output.IsEmpty ? carry[j] : carry[j] + output[j];
            delta[j] = T.Clamp(gradient * h[j] * (T.One - h[j]), -clip, clip);
            any |= delta[j] != T.Zero;
        }

        return any;
    }

    /// <summary>
    /// The GRU's update gate and candidate, from dh = <paramref name="carry"/> + <paramref name="output"/> (output empty
    /// before the block) and <paramref name="gates"/> = [r | z | n]: writes δz = clamp(dh ⊙ (h(t−1) − n) ⊙ z(1 − z)) and
    /// δn = clamp(dh ⊙ (1 − z) ⊙ (1 − n²)) into blocks 1 and 2 of <paramref name="deltas"/> (3·Dh; block 0 is
    /// <see cref="GruResetDelta{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, T)"/>'s), and
    /// leaves dh ⊙ z, the direct part of dJ/dh(t−1), in <paramref name="carry"/>. Returns whether any delta is non-zero.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths do not fit one Dh.</exception>
    public static bool GruDelta<T>(Span<T> carry, ReadOnlySpan<T> output, ReadOnlySpan<T> gates, ReadOnlySpan<T> previous, Span<T> deltas, T clip)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GruDelta(carry, output, gates, previous, deltas, clip, KernelKinds.Default);

    /// <inheritdoc cref="GruDelta{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, T)"/>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static bool GruDelta<T>(Span<T> carry, ReadOnlySpan<T> output, ReadOnlySpan<T> gates, ReadOnlySpan<T> previous, Span<T> deltas, T clip, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previous.Length;
        Check(n, (carry.Length, 1), (output.IsEmpty ? n : output.Length, 1), (gates.Length, 3), (deltas.Length, 3));
        if (typeof(T) != typeof(float))
        {
            return GruDeltaReference(carry, output, gates, previous, deltas, clip);
        }

        KernelKinds.ThrowIfUnsupported(kind);
        var any = false;
        fixed (T* c = carry, o = output, g = gates, p = previous, d = deltas)
        {
            KernelKinds.RunElementwise(kind, new Swept<GruDeltaKernel>(new GruDeltaKernel((float*)c, output.IsEmpty ? null : (float*)o, (float*)g, (float*)p, (float*)d, n, Unsafe.As<T, float>(ref clip)), n, &any));
        }

        return any;
    }

    /// <summary>
    /// The GRU's reset gate, from <paramref name="resetGradient"/> = dJ/d(r ⊙ h(t−1)) = δn H_nᵀ: writes
    /// δr = clamp(resetGradient ⊙ h(t−1) ⊙ r(1 − r)) into block 0 of <paramref name="deltas"/> (3·Dh) and adds
    /// resetGradient ⊙ r to <paramref name="carry"/>. <paramref name="gates"/> = [r | z | n]. Returns whether δr is non-zero.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths do not fit one Dh.</exception>
    public static bool GruResetDelta<T>(ReadOnlySpan<T> resetGradient, ReadOnlySpan<T> gates, ReadOnlySpan<T> previous, Span<T> deltas, Span<T> carry, T clip)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GruResetDelta(resetGradient, gates, previous, deltas, carry, clip, KernelKinds.Default);

    /// <inheritdoc cref="GruResetDelta{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{T}, T)"/>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static bool GruResetDelta<T>(ReadOnlySpan<T> resetGradient, ReadOnlySpan<T> gates, ReadOnlySpan<T> previous, Span<T> deltas, Span<T> carry, T clip, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previous.Length;
        Check(n, (resetGradient.Length, 1), (gates.Length, 3), (deltas.Length, 3), (carry.Length, 1));
        if (typeof(T) != typeof(float))
        {
            return GruResetDeltaReference(resetGradient, gates, previous, deltas, carry, clip);
        }

        KernelKinds.ThrowIfUnsupported(kind);
        var any = false;
        fixed (T* rg = resetGradient, g = gates, p = previous, d = deltas, c = carry)
        {
            KernelKinds.RunElementwise(kind, new Swept<GruResetDeltaKernel>(new GruResetDeltaKernel((float*)rg, (float*)g, (float*)p, (float*)d, (float*)c, Unsafe.As<T, float>(ref clip)), n, &any));
        }

        return any;
    }

    /// <summary>
    /// The LSTM, from dh = <paramref name="carry"/> + <paramref name="output"/> (output empty before the block) and the
    /// memory's gradient dc = <paramref name="memoryCarry"/> + dh ⊙ o ⊙ (1 − tanh²c): writes into <paramref name="deltas"/>
    /// (4·Dh) δi = clamp(dc ⊙ g ⊙ i(1 − i)), δf = clamp(dc ⊙ c(t−1) ⊙ f(1 − f)), δg = clamp(dc ⊙ i ⊙ (1 − g²)) and
    /// δo = clamp(dh ⊙ tanh c ⊙ o(1 − o)), and leaves dc ⊙ f, dJ/dc(t−1), in <paramref name="memoryCarry"/>.
    /// <paramref name="gates"/> = [i | f | g | o]. Returns whether any delta is non-zero.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths do not fit one Dh.</exception>
    public static bool LstmDelta<T>(ReadOnlySpan<T> carry, ReadOnlySpan<T> output, Span<T> memoryCarry, ReadOnlySpan<T> gates,
                                    ReadOnlySpan<T> memory, ReadOnlySpan<T> previousMemory, Span<T> deltas, T clip)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LstmDelta(carry, output, memoryCarry, gates, memory, previousMemory, deltas, clip, KernelKinds.Default);

    /// <inheritdoc cref="LstmDelta{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, T)"/>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static bool LstmDelta<T>(ReadOnlySpan<T> carry, ReadOnlySpan<T> output, Span<T> memoryCarry, ReadOnlySpan<T> gates,
                                      ReadOnlySpan<T> memory, ReadOnlySpan<T> previousMemory, Span<T> deltas, T clip, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = memory.Length;
        Check(n, (carry.Length, 1), (output.IsEmpty ? n : output.Length, 1), (memoryCarry.Length, 1), (gates.Length, 4), (previousMemory.Length, 1), (deltas.Length, 4));
        if (typeof(T) != typeof(float))
        {
            return LstmDeltaReference(carry, output, memoryCarry, gates, memory, previousMemory, deltas, clip);
        }

        KernelKinds.ThrowIfUnsupported(kind);
        var any = false;
        fixed (T* c = carry, o = output, mc = memoryCarry, g = gates, m = memory, mp = previousMemory, d = deltas)
        {
            KernelKinds.RunElementwise(kind, new Swept<LstmDeltaKernel>(new LstmDeltaKernel((float*)c, output.IsEmpty ? null : (float*)o, (float*)mc, (float*)g, (float*)m, (float*)mp, (float*)d, n, Unsafe.As<T, float>(ref clip)), n, &any));
        }

        return any;
    }

    // ---- the plain scalar references: the definitions the kernels are tested against, and the double path ----

    internal static void GruGatesReference<T>(Span<T> gates, ReadOnlySpan<T> previous, Span<T> reset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previous.Length;
        for (var j = 0; j < 2 * n; j++)
        {
            gates[j] = Sigmoid(gates[j]);
        }

        for (var j = 0; j < n; j++)
        {
            reset[j] = gates[j] * previous[j];
        }
    }

    internal static void GruHiddenReference<T>(Span<T> candidate, ReadOnlySpan<T> update, ReadOnlySpan<T> previous, Span<T> hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var j = 0; j < hidden.Length; j++)
        {
            candidate[j] = T.Tanh(candidate[j]);
            hidden[j] = (update[j] * previous[j]) + ((T.One - update[j]) * candidate[j]);
        }
    }

    internal static void LstmReference<T>(Span<T> gates, ReadOnlySpan<T> previousMemory, Span<T> memory, Span<T> hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = memory.Length;
        for (var j = 0; j < n; j++)
        {
            var (i, f, g, o) = (Sigmoid(gates[j]), Sigmoid(gates[n + j]), T.Tanh(gates[(2 * n) + j]), Sigmoid(gates[(3 * n) + j]));
            (gates[j], gates[n + j], gates[(2 * n) + j], gates[(3 * n) + j]) = (i, f, g, o);
            memory[j] = (f * previousMemory[j]) + (i * g);
            hidden[j] = o * T.Tanh(memory[j]);
        }
    }

    internal static bool GruDeltaReference<T>(Span<T> carry, ReadOnlySpan<T> output, ReadOnlySpan<T> gates, ReadOnlySpan<T> previous, Span<T> deltas, T clip)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = previous.Length;
        var any = false;
        for (var j = 0; j < n; j++)
        {
            var dh = output.IsEmpty ? carry[j] : carry[j] + output[j];
            var (z, candidate) = (gates[n + j], gates[(2 * n) + j]);
            deltas[n + j] = T.Clamp(dh * (previous[j] - candidate) * z * (T.One - z), -clip, clip);
            deltas[(2 * n) + j] = T.Clamp(dh * (T.One - z) * (T.One - (candidate * candidate)), -clip, clip);
            carry[j] = dh * z;
            any |= deltas[n + j] != T.Zero || deltas[(2 * n) + j] != T.Zero;
        }

        return any;
    }

    internal static bool GruResetDeltaReference<T>(ReadOnlySpan<T> resetGradient, ReadOnlySpan<T> gates, ReadOnlySpan<T> previous, Span<T> deltas, Span<T> carry, T clip)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var any = false;
        for (var j = 0; j < previous.Length; j++)
        {
            var r = gates[j];
            deltas[j] = T.Clamp(resetGradient[j] * previous[j] * r * (T.One - r), -clip, clip);
            carry[j] += resetGradient[j] * r;
            any |= deltas[j] != T.Zero;
        }

        return any;
    }

    internal static bool LstmDeltaReference<T>(ReadOnlySpan<T> carry, ReadOnlySpan<T> output, Span<T> memoryCarry, ReadOnlySpan<T> gates,
                                               ReadOnlySpan<T> memory, ReadOnlySpan<T> previousMemory, Span<T> deltas, T clip)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = memory.Length;
        var any = false;
        for (var j = 0; j < n; j++)
        {
            var dh = output.IsEmpty ? carry[j] : carry[j] + output[j];
            var (i, f, g, o) = (gates[j], gates[n + j], gates[(2 * n) + j], gates[(3 * n) + j]);
            var squashed = T.Tanh(memory[j]);
            var dc = memoryCarry[j] + (dh * o * (T.One - (squashed * squashed)));
            deltas[j] = T.Clamp(dc * g * i * (T.One - i), -clip, clip);
            deltas[n + j] = T.Clamp(dc * previousMemory[j] * f * (T.One - f), -clip, clip);
            deltas[(2 * n) + j] = T.Clamp(dc * i * (T.One - (g * g)), -clip, clip);
            deltas[(3 * n) + j] = T.Clamp(dh * squashed * o * (T.One - o), -clip, clip);
            memoryCarry[j] = dc * f;
            for (var k = 0; k < 4; k++)
            {
                any |= deltas[(k * n) + j] != T.Zero;
            }
        }

        return any;
    }

    /// <summary>σ(x) = 1 / (1 + e^−x), plainly.</summary>
    internal static T Sigmoid<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.One / (T.One + T.Exp(-x));

    // Each span must hold its number of Dh-wide blocks.
    private static void Check(int n, params ReadOnlySpan<(int Length, int Blocks)> spans)
    {
        foreach (var (length, blocks) in spans)
        {
            if (length != blocks * n)
            {
                throw new ArgumentException($"A span of {length} elements where {blocks} block(s) of {n} were expected.");
            }
        }
    }
}
