using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// Products between two sets of contiguous rows of one width: the shapes of a class-factorized output layer's
/// word part, where a few hidden rows meet the rows of U ([|V|, Dh], a row per word) of one class.
/// </summary>
/// <remarks>
/// <para>
/// A general GEMM must pack U's rows into column panels for these products, and with a handful of hidden rows
/// the packing costs more than the multiply. Read in place, a logit is a dot product of two contiguous rows,
/// and both the hidden gradient and the update are sums of scaled rows, so no copy is needed.
/// </para>
/// <para>
/// On AVX-512 the products run from registers, with masked loads and stores for a row's last partial vector;
/// elsewhere, and for element types other than <see langword="float"/>, they fall back to <see cref="Gemm"/>.
/// An element's arithmetic does not depend on where it falls in the register blocking, so a row's results are
/// the same whatever other rows share the call.
/// </para>
/// </remarks>
internal static unsafe class RowProducts
{
    private static readonly bool s_avx512 = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    // How far ahead Dots prefetches b, in rows: 8 to 24 measured alike at width 100 (2.5 to 10 KB ahead).
    private const int PrefetchRows = 16;

    // Lanes 0, 4, 8 and 12: the block sums that Reduce4 leaves in every lane of each 128-bit block.
    private static readonly Vector512<int> s_blockFirsts = Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>dots[i, j] = a[i] · b[j], for a ([m, width]) and b ([n, width]); dots is [m, n].</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    public static void Dots<T>(ReadOnlySpan<T> a, int m, ReadOnlySpan<T> b, int n, int width, Span<T> dots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(a.Length, m, width, nameof(a));
        Check(b.Length, n, width, nameof(b));
        Check(dots.Length, m, n, nameof(dots));
        if (m == 0 || n == 0)
        {
            return;
        }

        if (typeof(T) == typeof(float) && s_avx512 && width > 0)
        {
            fixed (T* pa = a, pb = b, pd = dots)
            {
                DotsAvx512((float*)pa, m, (float*)pb, n, width, (float*)pd);
            }

            return;
        }

        Gemm.Multiply<T>(a, width, false, b, width, true, dots, n, m, n, width, false);
    }

    /// <summary>sums[i] = Σ_j weights[i, j]·b[j], for weights ([m, n]) and b ([n, width]); sums is [m, width].</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    public static void Combine<T>(ReadOnlySpan<T> weights, int m, ReadOnlySpan<T> b, int n, int width, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(weights.Length, m, n, nameof(weights));
        Check(b.Length, n, width, nameof(b));
        Check(sums.Length, m, width, nameof(sums));
        if (m == 0 || width == 0)
        {
            return;
        }

        if (typeof(T) == typeof(float) && s_avx512)
        {
            fixed (T* pw = weights, pb = b, ps = sums)
            {
                CombineAvx512((float*)pw, m, (float*)pb, n, width, (float*)ps);
            }

            return;
        }

        Gemm.Multiply<T>(weights, n, false, b, width, false, sums, width, m, width, n, false);
    }

    /// <summary>
    /// b[j] = (b[j] + Σ_i weights[i, j]·a[i])·keep, for weights ([m, n]), a ([m, width]) and b ([n, width]):
    /// a rank-m update of b's rows, then a uniform shrink (1 − L2 decay), skipped when keep is 1.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or b overlaps a or the weights.</exception>
    public static void AddOuter<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> a, int m, Span<T> b, int n, int width, T keep)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(weights.Length, m, n, nameof(weights));
        Check(a.Length, m, width, nameof(a));
        Check(b.Length, n, width, nameof(b));
        var written = b[..(n * width)];
        if (written.Overlaps(a[..(m * width)]) || written.Overlaps(weights[..(m * n)]))
        {
            throw new ArgumentException("The updated rows must not overlap the inputs.", nameof(b));
        }

        if (n == 0 || width == 0)
        {
            return;
        }

        if (typeof(T) == typeof(float) && s_avx512 && m > 0)
        {
            fixed (T* pw = weights, pa = a, pb = b)
            {
                AddOuterAvx512((float*)pw, m, (float*)pa, (float*)pb, n, width, Unsafe.As<T, float>(ref keep));
            }

            return;
        }

        Gemm.Multiply<T>(weights, n, true, a, width, false, written, width, n, width, m, true);
        if (keep != T.One)
        {
            TensorPrimitives.Multiply<T>(written, keep, written);
        }
    }

    /// <summary>
    /// The backward step of a class's word part in one pass over b: sums[i] = Σ_j errors[i, j]·b[j] from b as it was,
    /// then b[j] = (b[j] + scale·Σ_i errors[i, j]·a[i])·keep; for errors ([m, n]), a ([m, width]), b ([n, width]) and
    /// sums ([m, width]). On return errors holds scale·errors, which the caller needs for the bias.
    /// </summary>
    /// <remarks>
    /// Same results, bit for bit, as <see cref="Combine{T}"/>, then errors scaled, then <see cref="AddOuter{T}"/>.
    /// b is read once instead of twice, which matters because the products are bound by memory, not arithmetic.
    /// </remarks>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or b or sums overlaps another span.</exception>
    public static void CombineAndAddOuter<T>(Span<T> errors, int m, ReadOnlySpan<T> a, Span<T> b, int n, int width, Span<T> sums, T scale, T keep)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(errors.Length, m, n, nameof(errors));
        Check(a.Length, m, width, nameof(a));
        Check(b.Length, n, width, nameof(b));
        Check(sums.Length, m, width, nameof(sums));
        var written = b[..(n * width)];
        var summed = sums[..(m * width)];
        var scaled = errors[..(m * n)];
        if (written.Overlaps(a[..(m * width)]) || written.Overlaps(scaled) || written.Overlaps(summed) ||
            summed.Overlaps(a[..(m * width)]) || summed.Overlaps(scaled))
        {
            throw new ArgumentException("The outputs must not overlap each other or the inputs.", nameof(b));
        }

        if (typeof(T) == typeof(float) && s_avx512 && m > 0 && n > 0 && width > 0)
        {
            fixed (T* pe = errors, pa = a, pb = b, ps = sums)
            {
                CombineAndAddOuterAvx512((float*)pe, m, (float*)pa, (float*)pb, n, width, (float*)ps, Unsafe.As<T, float>(ref scale), Unsafe.As<T, float>(ref keep));
            }

            if (scale != T.One)
            {
                TensorPrimitives.Multiply<T>(scaled, scale, scaled);
            }

            return;
        }

        Combine<T>(errors, m, b, n, width, sums);
        if (scale != T.One)
        {
            TensorPrimitives.Multiply<T>(scaled, scale, scaled);
        }

        AddOuter<T>(errors, a, m, b, n, width, keep);
    }

    /// <summary>Reference for <see cref="Dots{T}"/>: plain loops accumulating in <see langword="double"/>.</summary>
    internal static void DotsReference(ReadOnlySpan<float> a, int m, ReadOnlySpan<float> b, int n, int width, Span<float> dots)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var p = 0; p < width; p++)
                {
                    sum += (double)a[i * width + p] * b[j * width + p];
                }

                dots[i * n + j] = (float)sum;
            }
        }
    }

    /// <summary>Reference for <see cref="Combine{T}"/>: plain loops accumulating in <see langword="double"/>.</summary>
    internal static void CombineReference(ReadOnlySpan<float> weights, int m, ReadOnlySpan<float> b, int n, int width, Span<float> sums)
    {
        for (var i = 0; i < m; i++)
        {
            for (var p = 0; p < width; p++)
            {
                var sum = 0.0;
                for (var j = 0; j < n; j++)
                {
                    sum += (double)weights[i * n + j] * b[j * width + p];
                }

                sums[i * width + p] = (float)sum;
            }
        }
    }

    /// <summary>Reference for <see cref="AddOuter{T}"/>: plain loops accumulating in <see langword="double"/>.</summary>
    internal static void AddOuterReference(ReadOnlySpan<float> weights, ReadOnlySpan<float> a, int m, Span<float> b, int n, int width, float keep)
    {
        for (var j = 0; j < n; j++)
        {
            for (var p = 0; p < width; p++)
            {
                double sum = b[j * width + p];
                for (var i = 0; i < m; i++)
                {
                    sum += (double)weights[i * n + j] * a[i * width + p];
                }

                b[j * width + p] = (float)(sum * keep);
            }
        }
    }

    private static void Check(int length, int rows, int columns, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows, name);
        ArgumentOutOfRangeException.ThrowIfNegative(columns, name);
        if (length < (long)rows * columns)
        {
            throw new ArgumentException($"{name} needs at least {(long)rows * columns} elements for its shape, it has {length}.", name);
        }
    }

    // Lanes [0, count) set: the mask of a row's last, partial vector.
    private static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    // Rows in pairs against 4 rows of b at a time (8 accumulators), an odd last row against 8 (8 again: FMA latency
    // times two pipes). A missing row of b repeats the last one and its result is dropped. The first sweep over b
    // is usually its first touch in a while, from L3, so it prefetches the rows a little ahead (measured: 5–7% of a
    // training epoch); later sweeps find b in cache.
    private static void DotsAvx512(float* a, int m, float* b, int n, int width, float* dots)
    {
        var full = width & ~15;
        var mask = Mask(width - full);
        var i = 0;
        for (; i + 2 <= m; i += 2)
        {
            var a0 = a + (long)i * width;
            for (var j = 0; j < n; j += 4)
            {
                if (i == 0)
                {
                    Prefetch(b, j + PrefetchRows, Math.Min(j + PrefetchRows + 4, n), width);
                }

                Dots2x4(a0, a0 + width, Row(b, j, n, width), Row(b, j + 1, n, width), Row(b, j + 2, n, width), Row(b, j + 3, n, width),
                        full, width, mask, out var r0, out var r1);
                Store(r0, dots + ((long)i * n) + j, n - j);
                Store(r1, dots + ((long)(i + 1) * n) + j, n - j);
            }
        }

        if (i < m)
        {
            var a0 = a + (long)i * width;
            for (var j = 0; j < n; j += 8)
            {
                if (i == 0)
                {
                    Prefetch(b, j + PrefetchRows, Math.Min(j + PrefetchRows + 8, n), width);
                }

                Dots1x8(a0, b, j, n, width, full, mask, out var r0, out var r1);
                Store(r0, dots + ((long)i * n) + j, n - j);
                Store(r1, dots + ((long)i * n) + j + 4, n - j - 4);
            }
        }
    }

    // Asks for the cache lines of rows [from, to) of b (contiguous, width floats each).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* b, int from, int to, int width)
    {
        var end = b + ((long)to * width);
        for (var p = b + ((long)from * width); p < end; p += 16)
        {
            Sse.Prefetch0(p);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Row(float* b, int j, int n, int width) => b + ((long)Math.Min(j, n - 1) * width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<float> sums, float* destination, int count)
    {
        if (count >= 4)
        {
            sums.Store(destination);
            return;
        }

        for (var q = 0; q < count; q++)
        {
            destination[q] = sums.GetElement(q);
        }
    }

    private static void Dots2x4(float* a0, float* a1, float* b0, float* b1, float* b2, float* b3, int full, int width, Vector512<float> mask,
                                out Vector128<float> r0, out Vector128<float> r1)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        var p = 0;
        for (; p < full; p += 16)
        {
            var x0 = Vector512.Load(a0 + p);
            var x1 = Vector512.Load(a1 + p);
            var y = Vector512.Load(b0 + p);
            c00 = Avx512F.FusedMultiplyAdd(x0, y, c00);
            c10 = Avx512F.FusedMultiplyAdd(x1, y, c10);
            y = Vector512.Load(b1 + p);
            c01 = Avx512F.FusedMultiplyAdd(x0, y, c01);
            c11 = Avx512F.FusedMultiplyAdd(x1, y, c11);
            y = Vector512.Load(b2 + p);
            c02 = Avx512F.FusedMultiplyAdd(x0, y, c02);
            c12 = Avx512F.FusedMultiplyAdd(x1, y, c12);
            y = Vector512.Load(b3 + p);
            c03 = Avx512F.FusedMultiplyAdd(x0, y, c03);
            c13 = Avx512F.FusedMultiplyAdd(x1, y, c13);
        }

        if (p < width)
        {
            // Masked-off lanes load as zero, and fma(0, 0, c) = c leaves them as they were.
            var zero = Vector512<float>.Zero;
            var x0 = Avx512F.MaskLoad(a0 + p, mask, zero);
            var x1 = Avx512F.MaskLoad(a1 + p, mask, zero);
            var y = Avx512F.MaskLoad(b0 + p, mask, zero);
            c00 = Avx512F.FusedMultiplyAdd(x0, y, c00);
            c10 = Avx512F.FusedMultiplyAdd(x1, y, c10);
            y = Avx512F.MaskLoad(b1 + p, mask, zero);
            c01 = Avx512F.FusedMultiplyAdd(x0, y, c01);
            c11 = Avx512F.FusedMultiplyAdd(x1, y, c11);
            y = Avx512F.MaskLoad(b2 + p, mask, zero);
            c02 = Avx512F.FusedMultiplyAdd(x0, y, c02);
            c12 = Avx512F.FusedMultiplyAdd(x1, y, c12);
            y = Avx512F.MaskLoad(b3 + p, mask, zero);
            c03 = Avx512F.FusedMultiplyAdd(x0, y, c03);
            c13 = Avx512F.FusedMultiplyAdd(x1, y, c13);
        }

        r0 = Reduce4(c00, c01, c02, c03);
        r1 = Reduce4(c10, c11, c12, c13);
    }

    private static void Dots1x8(float* a0, float* b, int j, int n, int width, int full, Vector512<float> mask,
                                out Vector128<float> r0, out Vector128<float> r1)
    {
        float* b0 = Row(b, j, n, width), b1 = Row(b, j + 1, n, width), b2 = Row(b, j + 2, n, width), b3 = Row(b, j + 3, n, width);
        float* b4 = Row(b, j + 4, n, width), b5 = Row(b, j + 5, n, width), b6 = Row(b, j + 6, n, width), b7 = Row(b, j + 7, n, width);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        var p = 0;
        for (; p < full; p += 16)
        {
            var x = Vector512.Load(a0 + p);
            c0 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b0 + p), c0);
            c1 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b1 + p), c1);
            c2 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b2 + p), c2);
            c3 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b3 + p), c3);
            c4 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b4 + p), c4);
            c5 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b5 + p), c5);
            c6 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b6 + p), c6);
            c7 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b7 + p), c7);
        }

        if (p < width)
        {
            var zero = Vector512<float>.Zero;
            var x = Avx512F.MaskLoad(a0 + p, mask, zero);
            c0 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b0 + p, mask, zero), c0);
            c1 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b1 + p, mask, zero), c1);
            c2 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b2 + p, mask, zero), c2);
            c3 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b3 + p, mask, zero), c3);
            c4 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b4 + p, mask, zero), c4);
            c5 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b5 + p, mask, zero), c5);
            c6 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b6 + p, mask, zero), c6);
            c7 = Avx512F.FusedMultiplyAdd(x, Avx512F.MaskLoad(b7 + p, mask, zero), c7);
        }

        r0 = Reduce4(c0, c1, c2, c3);
        r1 = Reduce4(c4, c5, c6, c7);
    }

    // [Σ a, Σ b, Σ c, Σ d] over 16 lanes each, summed in the same order for all four: 128-bit blocks (0 + 1) + (2 + 3),
    // then lanes (0 + 1) + (2 + 3). About 3.5 instructions a sum instead of 8 for one horizontal sum at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        const byte Evens = 0b10_00_10_00; // blocks [x0, x2, y0, y2]
        const byte Odds = 0b11_01_11_01; // blocks [x1, x3, y1, y3]
        var ab = Avx512F.Shuffle4x128(a, b, Evens) + Avx512F.Shuffle4x128(a, b, Odds); // [a0+a1, a2+a3, b0+b1, b2+b3]
        var cd = Avx512F.Shuffle4x128(c, d, Evens) + Avx512F.Shuffle4x128(c, d, Odds);
        var t = Avx512F.Shuffle4x128(ab, cd, Evens) + Avx512F.Shuffle4x128(ab, cd, Odds); // block k: 4 partial sums of the k-th input
        t += Avx512F.Permute4x32(t, 0b10_11_00_01); // lanes (0+1), (2+3) in each block
        t += Avx512F.Permute4x32(t, 0b01_00_11_10); // the block's sum in every lane
        return Avx512F.PermuteVar16x32(t, s_blockFirsts).GetLower().GetLower();
    }

    // Output rows in pairs (or one), columns in chunks of 4 vectors held in registers while every row of b streams
    // past. Each element is one FMA chain over j, in increasing j from zero: the chain CombineAndAddOuter forms.
    private static void CombineAvx512(float* weights, int m, float* b, int n, int width, float* sums)
    {
        for (var i = 0; i < m; i += 2)
        {
            var w0 = weights + ((long)i * n);
            var s0 = sums + ((long)i * width);
            for (var col = 0; col < width; col += 64)
            {
                var left = width - col;
                var (k0, k1, k2, k3) = (Mask(left), Mask(left - 16), Mask(left - 32), Mask(left - 48));
                if (i + 1 < m)
                {
                    if (left >= 64)
                    {
                        Combine2<Whole>(w0, w0 + n, b + col, n, width, s0 + col, s0 + width + col, k0, k1, k2, k3);
                    }
                    else
                    {
                        Combine2<Masked>(w0, w0 + n, b + col, n, width, s0 + col, s0 + width + col, k0, k1, k2, k3);
                    }
                }
                else if (left >= 64)
                {
                    Combine1<Whole>(w0, b + col, n, width, s0 + col, k0, k1, k2, k3);
                }
                else
                {
                    Combine1<Masked>(w0, b + col, n, width, s0 + col, k0, k1, k2, k3);
                }
            }
        }
    }

    private static void Combine1<TAccess>(float* w0, float* b, int n, int width, float* s0,
                                          Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3)
        where TAccess : struct, IVectorAccess
    {
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default;
        var row = b;
        for (var j = 0; j < n; j++, row += width)
        {
            var x = Vector512.Create(w0[j]);
            e0 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(row, k0), e0);
            e1 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(row + 16, k1), e1);
            e2 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(row + 32, k2), e2);
            e3 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(row + 48, k3), e3);
        }

        TAccess.Store(s0, k0, e0);
        TAccess.Store(s0 + 16, k1, e1);
        TAccess.Store(s0 + 32, k2, e2);
        TAccess.Store(s0 + 48, k3, e3);
    }

    private static void Combine2<TAccess>(float* w0, float* w1, float* b, int n, int width, float* s0, float* s1,
                                          Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3)
        where TAccess : struct, IVectorAccess
    {
        Vector512<float> e00 = default, e01 = default, e02 = default, e03 = default;
        Vector512<float> e10 = default, e11 = default, e12 = default, e13 = default;
        var row = b;
        for (var j = 0; j < n; j++, row += width)
        {
            var y0 = TAccess.Load(row, k0);
            var y1 = TAccess.Load(row + 16, k1);
            var y2 = TAccess.Load(row + 32, k2);
            var y3 = TAccess.Load(row + 48, k3);
            var x = Vector512.Create(w0[j]);
            e00 = Avx512F.FusedMultiplyAdd(x, y0, e00);
            e01 = Avx512F.FusedMultiplyAdd(x, y1, e01);
            e02 = Avx512F.FusedMultiplyAdd(x, y2, e02);
            e03 = Avx512F.FusedMultiplyAdd(x, y3, e03);
            x = Vector512.Create(w1[j]);
            e10 = Avx512F.FusedMultiplyAdd(x, y0, e10);
            e11 = Avx512F.FusedMultiplyAdd(x, y1, e11);
            e12 = Avx512F.FusedMultiplyAdd(x, y2, e12);
            e13 = Avx512F.FusedMultiplyAdd(x, y3, e13);
        }

        TAccess.Store(s0, k0, e00);
        TAccess.Store(s0 + 16, k1, e01);
        TAccess.Store(s0 + 32, k2, e02);
        TAccess.Store(s0 + 48, k3, e03);
        TAccess.Store(s1, k0, e10);
        TAccess.Store(s1 + 16, k1, e11);
        TAccess.Store(s1 + 32, k2, e12);
        TAccess.Store(s1 + 48, k3, e13);
    }

    // Rows 0 and 1 get their gradient in the pass that updates b, from registers; any further rows get theirs first,
    // from b as it was. Columns go in chunks of 4 vectors, and within a chunk b streams past once.
    private static void CombineAndAddOuterAvx512(float* errors, int m, float* a, float* b, int n, int width, float* sums, float scale, float keep)
    {
        if (m > 2)
        {
            CombineAvx512(errors + (2L * n), m - 2, b, n, width, sums + (2L * width));
        }

        for (var col = 0; col < width; col += 64)
        {
            var left = width - col;
            var (k0, k1, k2, k3) = (Mask(left), Mask(left - 16), Mask(left - 32), Mask(left - 48));
            if (m == 1 && left >= 64)
            {
                CombineAndAddOuter1<Whole>(errors, a + col, b + col, n, width, sums + col, scale, keep, k0, k1, k2, k3);
            }
            else if (m == 1)
            {
                CombineAndAddOuter1<Masked>(errors, a + col, b + col, n, width, sums + col, scale, keep, k0, k1, k2, k3);
            }
            else if (left >= 64)
            {
                CombineAndAddOuter2<Whole>(errors, m, a + col, b + col, n, width, sums + col, scale, keep, k0, k1, k2, k3);
            }
            else
            {
                CombineAndAddOuter2<Masked>(errors, m, a + col, b + col, n, width, sums + col, scale, keep, k0, k1, k2, k3);
            }
        }
    }

    // The update's arithmetic is AddOuter's: (scale·e0)·a0, FMA chains for the further rows, + b, then · keep.
    private static void CombineAndAddOuter1<TAccess>(float* errors, float* a, float* b, int n, int width, float* sums, float scale, float keep,
                                                     Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3)
        where TAccess : struct, IVectorAccess
    {
        var (h0, h1, h2, h3) = (TAccess.Load(a, k0), TAccess.Load(a + 16, k1), TAccess.Load(a + 32, k2), TAccess.Load(a + 48, k3));
        Vector512<float> g0 = default, g1 = default, g2 = default, g3 = default;
        var shrink = keep != 1f;
        var keepVector = Vector512.Create(keep);
        var row = b;
        for (var j = 0; j < n; j++, row += width)
        {
            var (y0, y1, y2, y3) = (TAccess.Load(row, k0), TAccess.Load(row + 16, k1), TAccess.Load(row + 32, k2), TAccess.Load(row + 48, k3));
            var e = errors[j];
            var x = Vector512.Create(e);
            g0 = Avx512F.FusedMultiplyAdd(x, y0, g0);
            g1 = Avx512F.FusedMultiplyAdd(x, y1, g1);
            g2 = Avx512F.FusedMultiplyAdd(x, y2, g2);
            g3 = Avx512F.FusedMultiplyAdd(x, y3, g3);
            x = Vector512.Create(scale * e);
            y0 += x * h0;
            y1 += x * h1;
            y2 += x * h2;
            y3 += x * h3;
            if (shrink)
            {
                (y0, y1, y2, y3) = (y0 * keepVector, y1 * keepVector, y2 * keepVector, y3 * keepVector);
            }

            TAccess.Store(row, k0, y0);
            TAccess.Store(row + 16, k1, y1);
            TAccess.Store(row + 32, k2, y2);
            TAccess.Store(row + 48, k3, y3);
        }

        TAccess.Store(sums, k0, g0);
        TAccess.Store(sums + 16, k1, g1);
        TAccess.Store(sums + 32, k2, g2);
        TAccess.Store(sums + 48, k3, g3);
    }

    private static void CombineAndAddOuter2<TAccess>(float* errors, int m, float* a, float* b, int n, int width, float* sums, float scale, float keep,
                                                     Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3)
        where TAccess : struct, IVectorAccess
    {
        var (h00, h01, h02, h03) = (TAccess.Load(a, k0), TAccess.Load(a + 16, k1), TAccess.Load(a + 32, k2), TAccess.Load(a + 48, k3));
        var a1 = a + width;
        var (h10, h11, h12, h13) = (TAccess.Load(a1, k0), TAccess.Load(a1 + 16, k1), TAccess.Load(a1 + 32, k2), TAccess.Load(a1 + 48, k3));
        Vector512<float> g00 = default, g01 = default, g02 = default, g03 = default;
        Vector512<float> g10 = default, g11 = default, g12 = default, g13 = default;
        var shrink = keep != 1f;
        var keepVector = Vector512.Create(keep);
        var errors1 = errors + n;
        var row = b;
        for (var j = 0; j < n; j++, row += width)
        {
            var (y0, y1, y2, y3) = (TAccess.Load(row, k0), TAccess.Load(row + 16, k1), TAccess.Load(row + 32, k2), TAccess.Load(row + 48, k3));
            var (e0, e1) = (errors[j], errors1[j]);
            var x = Vector512.Create(e0);
            g00 = Avx512F.FusedMultiplyAdd(x, y0, g00);
            g01 = Avx512F.FusedMultiplyAdd(x, y1, g01);
            g02 = Avx512F.FusedMultiplyAdd(x, y2, g02);
            g03 = Avx512F.FusedMultiplyAdd(x, y3, g03);
            x = Vector512.Create(e1);
            g10 = Avx512F.FusedMultiplyAdd(x, y0, g10);
            g11 = Avx512F.FusedMultiplyAdd(x, y1, g11);
            g12 = Avx512F.FusedMultiplyAdd(x, y2, g12);
            g13 = Avx512F.FusedMultiplyAdd(x, y3, g13);
            x = Vector512.Create(scale * e0);
            var (u0, u1, u2, u3) = (x * h00, x * h01, x * h02, x * h03);
            x = Vector512.Create(scale * e1);
            u0 = Avx512F.FusedMultiplyAdd(x, h10, u0);
            u1 = Avx512F.FusedMultiplyAdd(x, h11, u1);
            u2 = Avx512F.FusedMultiplyAdd(x, h12, u2);
            u3 = Avx512F.FusedMultiplyAdd(x, h13, u3);
            for (var i = 2; i < m; i++)
            {
                var ai = a + ((long)i * width);
                x = Vector512.Create(scale * errors[((long)i * n) + j]);
                u0 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(ai, k0), u0);
                u1 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(ai + 16, k1), u1);
                u2 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(ai + 32, k2), u2);
                u3 = Avx512F.FusedMultiplyAdd(x, TAccess.Load(ai + 48, k3), u3);
            }

            (y0, y1, y2, y3) = (y0 + u0, y1 + u1, y2 + u2, y3 + u3);
            if (shrink)
            {
                (y0, y1, y2, y3) = (y0 * keepVector, y1 * keepVector, y2 * keepVector, y3 * keepVector);
            }

            TAccess.Store(row, k0, y0);
            TAccess.Store(row + 16, k1, y1);
            TAccess.Store(row + 32, k2, y2);
            TAccess.Store(row + 48, k3, y3);
        }

        TAccess.Store(sums, k0, g00);
        TAccess.Store(sums + 16, k1, g01);
        TAccess.Store(sums + 32, k2, g02);
        TAccess.Store(sums + 48, k3, g03);
        TAccess.Store(sums + width, k0, g10);
        TAccess.Store(sums + width + 16, k1, g11);
        TAccess.Store(sums + width + 32, k2, g12);
        TAccess.Store(sums + width + 48, k3, g13);
    }

    // Row by row of b: Σ_i weights[i, j]·a[i] as one FMA chain per element (in increasing i, from the first product),
    // added to the row, then shrunk. Each row of b is read and written once.
    private static void AddOuterAvx512(float* weights, int m, float* a, float* b, int n, int width, float keep)
    {
        var full = width & ~15;
        var mask = Mask(width - full);
        var shrink = keep != 1f;
        var keepVector = Vector512.Create(keep);
        for (var j = 0; j < n; j++)
        {
            var row = b + ((long)j * width);
            var w = weights + j;
            var first = Vector512.Create(w[0]);
            var p = 0;
            for (; p < full; p += 16)
            {
                var sum = first * Vector512.Load(a + p);
                for (var i = 1; i < m; i++)
                {
                    sum = Avx512F.FusedMultiplyAdd(Vector512.Create(w[(long)i * n]), Vector512.Load(a + ((long)i * width) + p), sum);
                }

                var updated = Vector512.Load(row + p) + sum;
                (shrink ? updated * keepVector : updated).Store(row + p);
            }

            if (p < width)
            {
                var zero = Vector512<float>.Zero;
                var sum = first * Avx512F.MaskLoad(a + p, mask, zero);
                for (var i = 1; i < m; i++)
                {
                    sum = Avx512F.FusedMultiplyAdd(Vector512.Create(w[(long)i * n]), Avx512F.MaskLoad(a + ((long)i * width) + p, mask, zero), sum);
                }

                var updated = Avx512F.MaskLoad(row + p, mask, zero) + sum;
                Avx512F.MaskStore(row + p, mask, shrink ? updated * keepVector : updated);
            }
        }
    }

    // Whole or masked vector access, chosen at compile time: the JIT specializes a generic method for each struct.
    private interface IVectorAccess
    {
        static abstract Vector512<float> Load(float* source, Vector512<float> mask);

        static abstract void Store(float* destination, Vector512<float> mask, Vector512<float> value);
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Whole : IVectorAccess
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(float* source, Vector512<float> mask) => Vector512.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(float* destination, Vector512<float> mask, Vector512<float> value) => value.Store(destination);
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Masked : IVectorAccess
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(float* source, Vector512<float> mask) => Avx512F.MaskLoad(source, mask, Vector512<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(float* destination, Vector512<float> mask, Vector512<float> value) => Avx512F.MaskStore(destination, mask, value);
    }
}
