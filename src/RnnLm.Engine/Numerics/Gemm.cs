using System.Numerics;
using System.Runtime.InteropServices;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// Row-major general matrix multiply, C = (accumulate ? C : 0) + op(A) · op(B).
/// </summary>
/// <remarks>
/// <para>
/// Large products follow the GotoBLAS/BLIS scheme: op(B) is packed by [KC × NC] blocks into
/// NR-wide column panels, op(A) by [MC × KC] blocks into MR-high row panels, and a register-blocked
/// micro-kernel multiplies one MR-panel by one NR-panel with FMA.
/// </para>
/// <para>
/// Determinism: within one k-block every element of C is a single fused-multiply-add chain over p,
/// starting from zero, in increasing p; the chain is then added to C (or stored, for the first block
/// when not accumulating). The k-blocks are always cut at multiples of KC counted from p = 0. A vector
/// lane, a zero-padded edge tile and the scalar tails all perform that same chain, so an element's bits
/// do not depend on which tile, thread or edge it fell into, and any split of C across threads gives
/// bit-identical results. Products with at most <see cref="SkinnyRows"/> rows use a direct path (no
/// packing) whose per-element arithmetic is likewise independent of the split, but not the same as the packed
/// path's: a caller that splits C's rows over several calls gets the bits of one call only with
/// <see cref="SplitRows"/>. Splitting C's columns over calls is always safe.
/// </para>
/// <para>
/// The class is split by concern: this file holds the API and the scalar reference; Gemm.Blocking the
/// cache blocking and the split across threads; Gemm.Packing the panel copies; Gemm.Avx512 and Gemm.Vector the
/// micro-kernels (the latter for every other <see cref="KernelKind"/>, scalar included); Gemm.Skinny the direct
/// paths for few rows; Gemm.Generic the plain path for element types other than <see langword="float"/>.
/// </para>
/// </remarks>
internal static unsafe partial class Gemm
{
    /// <summary>
    /// C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n], all matrices row-major with leading dimensions.
    /// op(A) is A (stored m×k, lda ≥ k) or, when <paramref name="transA"/>, Aᵀ (A stored k×m, lda ≥ m);
    /// likewise op(B) is B (stored k×n, ldb ≥ n) or Bᵀ (B stored n×k, ldb ≥ k). C is m×n with ldc ≥ n.
    /// The result is bit-identical for every value of <paramref name="threads"/>.
    /// </summary>
    /// <param name="a">A, row-major: m×k, or k×m when <paramref name="transA"/>.</param>
    /// <param name="lda">Distance between the starts of consecutive rows of A as stored.</param>
    /// <param name="transA">Use Aᵀ as the left factor.</param>
    /// <param name="b">B, row-major: k×n, or n×k when <paramref name="transB"/>.</param>
    /// <param name="ldb">Distance between the starts of consecutive rows of B as stored.</param>
    /// <param name="transB">Use Bᵀ as the right factor.</param>
    /// <param name="c">C, row-major m×n; must not overlap A or B.</param>
    /// <param name="ldc">Distance between the starts of consecutive rows of C.</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="threads">Upper bound on the worker threads; small products run on the caller's thread.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="m"/>, <paramref name="n"/> or <paramref name="k"/> is negative, <paramref name="threads"/> is
    /// below 1, or a leading dimension is smaller than the row width it has to span.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// A span is too short for its dimensions and leading dimension, or <paramref name="c"/> overlaps
    /// <paramref name="a"/> or <paramref name="b"/>.
    /// </exception>
    public static void Multiply(ReadOnlySpan<float> a, int lda, bool transA,
                                ReadOnlySpan<float> b, int ldb, bool transB,
                                Span<float> c, int ldc, int m, int n, int k,
                                bool accumulate, int threads = 1) =>
        Multiply(a, lda, transA, b, ldb, transB, c, ldc, m, n, k, accumulate, threads, KernelKinds.Default);

    /// <summary>The <see langword="float"/> product with the micro-kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// As the public overload, or this machine cannot run <paramref name="kind"/>.
    /// </exception>
    /// <exception cref="ArgumentException">As the public overload.</exception>
    internal static void Multiply(ReadOnlySpan<float> a, int lda, bool transA,
                                  ReadOnlySpan<float> b, int ldb, bool transB,
                                  Span<float> c, int ldc, int m, int n, int k,
                                  bool accumulate, int threads, KernelKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        KernelKinds.ThrowIfUnsupported(kind);
        Validate(a, lda, transA, b, ldb, transB, c, ldc, m, n, k);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (var i = 0; i < m; i++)
                {
                    c.Slice(i * ldc, n).Clear();
                }
            }

            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            new Job(pa, lda, transA, pb, ldb, transB, pc, ldc, m, n, k, accumulate, kind).Run(threads);
        }
    }

    /// <summary>
    /// Same contract as the <see langword="float"/> overload for any IEEE floating-point type. For
    /// <see langword="float"/> it is the fast path; other types (double-precision gradient checks) take a
    /// plain vectorised implementation that is deterministic but not cache-blocked.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A dimension is negative, <paramref name="threads"/> is below 1, or a leading dimension is too small.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// A span is too short for its dimensions, or <paramref name="c"/> overlaps <paramref name="a"/> or <paramref name="b"/>.
    /// </exception>
    public static void Multiply<T>(ReadOnlySpan<T> a, int lda, bool transA, ReadOnlySpan<T> b, int ldb, bool transB,
                                   Span<T> c, int ldc, int m, int n, int k, bool accumulate, int threads = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Multiply(MemoryMarshal.Cast<T, float>(a), lda, transA, MemoryMarshal.Cast<T, float>(b), ldb, transB,
                     MemoryMarshal.Cast<T, float>(c), ldc, m, n, k, accumulate, threads);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Validate(a, lda, transA, b, ldb, transB, c, ldc, m, n, k);
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            var job = new GenericJob<T>(pa, lda, transA, pb, ldb, transB, pc, ldc, n, k, accumulate);
            var parts = (int)Math.Min(Math.Min(threads, m), Math.Max(1L, (long)m * n * Math.Max(k, 1) / MinWorkPerThread));
            if (parts <= 1)
            {
                job.Rows(0, m);
            }
            else
            {
                GenericJob<T>.RunParallel(job, m, parts);
            }
        }
    }

    /// <summary>
    /// Rows [Start, End) of an m-row product that part <paramref name="part"/> of <paramref name="parts"/> computes
    /// with a call of its own, cut so that each row gets the bits one call over all m rows gives it: a call of at
    /// most <see cref="SkinnyRows"/> rows takes the direct path, which sums in another order than the packed path,
    /// so no part gets so few rows unless one part takes all of them. Parts past those used get no rows.
    /// </summary>
    internal static (int Start, int End) SplitRows(int m, int parts, int part)
    {
        var used = Math.Clamp(m / (SkinnyRows + 1), 1, parts);
        return part < used ? WorkTeam.Split(m, used, part) : (m, m);
    }

    /// <summary>
    /// Reference product: a plain triple loop accumulating in <see langword="double"/>, used to test the fast path.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a leading dimension is too small.</exception>
    /// <exception cref="ArgumentException">A span is too short, or <paramref name="c"/> overlaps an input.</exception>
    internal static void MultiplyReference(ReadOnlySpan<float> a, int lda, bool transA,
                                           ReadOnlySpan<float> b, int ldb, bool transB,
                                           Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        Validate(a, lda, transA, b, ldb, transB, c, ldc, m, n, k);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = accumulate ? (double)c[i * ldc + j] : 0.0;
                for (var p = 0; p < k; p++)
                {
                    var x = transA ? a[p * lda + i] : a[i * lda + p];
                    var y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)x * y;
                }

                c[i * ldc + j] = (float)sum;
            }
        }
    }

    private static void Validate<T>(ReadOnlySpan<T> a, int lda, bool transA, ReadOnlySpan<T> b, int ldb, bool transB,
                                    Span<T> c, int ldc, int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var aNeed = Required(transA ? k : m, transA ? m : k, lda, nameof(lda));
        var bNeed = Required(transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        var cNeed = Required(m, n, ldc, nameof(ldc));
        if (a.Length < aNeed)
        {
            throw new ArgumentException($"A needs at least {aNeed} elements for its shape and lda, it has {a.Length}.", nameof(a));
        }

        if (b.Length < bNeed)
        {
            throw new ArgumentException($"B needs at least {bNeed} elements for its shape and ldb, it has {b.Length}.", nameof(b));
        }

        if (c.Length < cNeed)
        {
            throw new ArgumentException($"C needs at least {cNeed} elements for its shape and ldc, it has {c.Length}.", nameof(c));
        }

        ReadOnlySpan<T> written = c[..(int)cNeed];
        if (written.Overlaps(a[..(int)aNeed]) || written.Overlaps(b[..(int)bNeed]))
        {
            throw new ArgumentException("C must not overlap A or B.", nameof(c));
        }
    }

    private static long Required(int rows, int cols, int ld, string name)
    {
        if (ld < cols)
        {
            throw new ArgumentOutOfRangeException(name, ld, $"The leading dimension must be at least the row width {cols}.");
        }

        return rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
    }
}
