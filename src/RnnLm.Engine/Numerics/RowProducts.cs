using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
/// the other kinds run one generic version over <see cref="ILanes{TVector}"/>; element types other than
/// <see langword="float"/> fall back to <see cref="Gemm"/>'s plain path, which goes row by row. For every kind, an
/// element's arithmetic does not depend on where it falls in the blocking, so a row's results are the same
/// whatever other rows share the call: training threads group rows differently, and must get the same bits.
/// </para>
/// <para>
/// This file holds the API and the scalar references; RowProducts.Kinds the choice of kernel by
/// <see cref="KernelKind"/> and the generic kernels; RowProducts.Avx512 the AVX-512 dot products,
/// RowProducts.Avx512.Updates the AVX-512 row sums and updates.
/// </para>
/// </remarks>
internal static unsafe partial class RowProducts
{
    /// <summary>dots[i, j] = a[i] · b[j], for a ([m, width]) and b ([n, width]); dots is [m, n].</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    public static void Dots<T>(ReadOnlySpan<T> a, int m, ReadOnlySpan<T> b, int n, int width, Span<T> dots)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Dots(a, m, b, n, width, dots, KernelKinds.Default);

    /// <summary><see cref="Dots{T}(ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, Span{T})"/> with the kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void Dots<T>(ReadOnlySpan<T> a, int m, ReadOnlySpan<T> b, int n, int width, Span<T> dots, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelKinds.ThrowIfUnsupported(kind);
        Check(a.Length, m, width, nameof(a));
        Check(b.Length, n, width, nameof(b));
        Check(dots.Length, m, n, nameof(dots));
        if (m == 0 || n == 0)
        {
            return;
        }

        if (width == 0)
        {
            dots[..(m * n)].Clear();
            return;
        }

        if (typeof(T) != typeof(float))
        {
            Gemm.Multiply<T>(a, width, false, b, width, true, dots, n, m, n, width, false);
            return;
        }

        fixed (T* pa = a, pb = b, pd = dots)
        {
            Dots(kind, (float*)pa, null, m, (float*)pb, n, width, (float*)pd);
        }
    }

    /// <summary>
    /// dots[i, j] = a[rowsOfA[i]] · b[j], for the rows of a ([*, width]) that <paramref name="rowsOfA"/> names, in its
    /// order, and b ([n, width]); dots is [rowsOfA.Length, n]. Each dot gets the bits that
    /// <see cref="Dots{T}(ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, Span{T})"/> gives it on rows copied out in that order.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside a.</exception>
    public static void Dots(ReadOnlySpan<float> a, ReadOnlySpan<int> rowsOfA, ReadOnlySpan<float> b, int n, int width, Span<float> dots) =>
        Dots(a, rowsOfA, b, n, width, dots, KernelKinds.Default);

    /// <summary><see cref="Dots(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, int, int, Span{float})"/> with the kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside a, or this machine cannot run <paramref name="kind"/>.</exception>
    internal static void Dots(ReadOnlySpan<float> a, ReadOnlySpan<int> rowsOfA, ReadOnlySpan<float> b, int n, int width, Span<float> dots, KernelKind kind)
    {
        KernelKinds.ThrowIfUnsupported(kind);
        var m = rowsOfA.Length;
        Check(b.Length, n, width, nameof(b));
        Check(dots.Length, m, n, nameof(dots));
        var rowsInA = width == 0 ? int.MaxValue : a.Length / width;
        foreach (var row in rowsOfA)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)rowsInA, nameof(rowsOfA));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (width == 0)
        {
            dots[..(m * n)].Clear();
            return;
        }

        fixed (float* pa = a, pb = b, pd = dots)
        fixed (int* rows = rowsOfA)
        {
            Dots(kind, pa, rows, m, pb, n, width, pd);
        }
    }

    /// <summary>sums[i] = Σ_j weights[i, j]·b[j], for weights ([m, n]) and b ([n, width]); sums is [m, width].</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    public static void Combine<T>(ReadOnlySpan<T> weights, int m, ReadOnlySpan<T> b, int n, int width, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Combine(weights, m, b, n, width, sums, KernelKinds.Default);

    /// <summary><see cref="Combine{T}(ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, Span{T})"/> with the kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void Combine<T>(ReadOnlySpan<T> weights, int m, ReadOnlySpan<T> b, int n, int width, Span<T> sums, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelKinds.ThrowIfUnsupported(kind);
        Check(weights.Length, m, n, nameof(weights));
        Check(b.Length, n, width, nameof(b));
        Check(sums.Length, m, width, nameof(sums));
        if (m == 0 || width == 0)
        {
            return;
        }

        if (typeof(T) != typeof(float))
        {
            Gemm.Multiply<T>(weights, n, false, b, width, false, sums, width, m, width, n, false);
            return;
        }

        fixed (T* pw = weights, pb = b, ps = sums)
        {
            Combine(kind, (float*)pw, m, (float*)pb, n, width, (float*)ps);
        }
    }

    /// <summary>
    /// b[j] = (b[j] + Σ_i weights[i, j]·a[i])·keep, for weights ([m, n]), a ([m, width]) and b ([n, width]):
    /// a rank-m update of b's rows, then a uniform shrink (1 − L2 decay), skipped when keep is 1.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or b overlaps a or the weights.</exception>
    public static void AddOuter<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> a, int m, Span<T> b, int n, int width, T keep)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        AddOuter(weights, a, m, b, n, width, keep, KernelKinds.Default);

    /// <summary><see cref="AddOuter{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, int, int, T)"/> with the kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or b overlaps a or the weights.</exception>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void AddOuter<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> a, int m, Span<T> b, int n, int width, T keep, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelKinds.ThrowIfUnsupported(kind);
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

        if (typeof(T) == typeof(float) && m > 0)
        {
            fixed (T* pw = weights, pa = a, pb = b)
            {
                AddOuter(kind, (float*)pw, m, (float*)pa, (float*)pb, n, width, Unsafe.As<T, float>(ref keep));
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
    /// Same results, bit for bit, as <see cref="Combine{T}(ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, Span{T})"/>, then errors
    /// scaled, then <see cref="AddOuter{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, int, int, T)"/>.
    /// b is read once instead of twice, which matters because the products are bound by memory, not arithmetic.
    /// </remarks>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or b or sums overlaps another span.</exception>
    public static void CombineAndAddOuter<T>(Span<T> errors, int m, ReadOnlySpan<T> a, Span<T> b, int n, int width, Span<T> sums, T scale, T keep)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CombineAndAddOuter(errors, m, a, b, n, width, sums, scale, keep, KernelKinds.Default);

    /// <summary>
    /// <see cref="CombineAndAddOuter{T}(Span{T}, int, ReadOnlySpan{T}, Span{T}, int, int, Span{T}, T, T)"/> with the kernels of
    /// <paramref name="kind"/>: fused on AVX-512, its parts in turn elsewhere.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or b or sums overlaps another span.</exception>
    /// <exception cref="ArgumentOutOfRangeException">This machine cannot run <paramref name="kind"/>.</exception>
    internal static void CombineAndAddOuter<T>(Span<T> errors, int m, ReadOnlySpan<T> a, Span<T> b, int n, int width, Span<T> sums, T scale, T keep, KernelKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelKinds.ThrowIfUnsupported(kind);
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

        if (typeof(T) == typeof(float) && kind == KernelKind.Avx512 && m > 0 && n > 0 && width > 0)
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

        Combine<T>(errors, m, b, n, width, sums, kind);
        if (scale != T.One)
        {
            TensorPrimitives.Multiply<T>(scaled, scale, scaled);
        }

        AddOuter<T>(errors, a, m, b, n, width, keep, kind);
    }

    /// <summary>Reference for <c>Dots</c>: plain loops accumulating in <see langword="double"/>.</summary>
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

    /// <summary>Reference for <c>Combine</c>: plain loops accumulating in <see langword="double"/>.</summary>
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

    /// <summary>Reference for <c>AddOuter</c>: plain loops accumulating in <see langword="double"/>.</summary>
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

    /// <summary>
    /// Reference for <c>CombineAndAddOuter</c>: the sums from b as it was, errors scaled in <see langword="float"/>
    /// (they are an output, as in the kernel), then the update, both accumulating in <see langword="double"/>.
    /// </summary>
    internal static void CombineAndAddOuterReference(Span<float> errors, int m, ReadOnlySpan<float> a, Span<float> b, int n, int width,
                                                     Span<float> sums, float scale, float keep)
    {
        CombineReference(errors, m, b, n, width, sums);
        for (var i = 0; i < m * n; i++)
        {
            errors[i] *= scale;
        }

        AddOuterReference(errors, a, m, b, n, width, keep);
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
}
