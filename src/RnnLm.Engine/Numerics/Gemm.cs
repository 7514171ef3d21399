using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

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
/// packing) whose per-element arithmetic is likewise independent of the split.
/// </para>
/// </remarks>
internal static unsafe class Gemm
{
    private enum KernelKind
    {
        Scalar,
        VectorT,
        Avx512,
    }

    // Zen 5 runs 512-bit FMAs at full width (about 2× the 256-bit rate, measured); Vector<float> covers
    // AVX2 and Arm64. The vector paths are only taken with hardware FMA: their scalar tails use
    // MathF.FusedMultiplyAdd to reproduce a lane's arithmetic exactly, which must not be a software routine.
    private static readonly bool s_hardwareFma = Fma.IsSupported || AdvSimd.IsSupported;

    private static readonly KernelKind s_kind =
        s_hardwareFma && Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? KernelKind.Avx512
        : s_hardwareFma && Vector.IsHardwareAccelerated && 2 * Vector<float>.Count <= MaxNr ? KernelKind.VectorT
        : KernelKind.Scalar;

    // 8 × 32 on AVX-512: 16 zmm accumulators, 2 loads of B and 8 broadcasts per 16 FMAs, which keeps both
    // FMA pipes busy; 8 rows divide the usual batch sizes (16, 32, 160, ...) with no ragged panel.
    // 6 × 2V on Vector<float>: the classic 12-accumulator tile that fits 16 ymm registers.
    private static readonly int Mr = s_kind switch { KernelKind.Avx512 => 8, KernelKind.VectorT => 6, _ => 4 };

    private static readonly int Nr = s_kind switch
    {
        KernelKind.Avx512 => 32,
        KernelKind.VectorT => 2 * Vector<float>.Count,
        _ => 4,
    };

    private const int MaxMr = 8;
    private const int MaxNr = 32;

    // KC: a [KC, NR] panel of B (32 KB) stays in the 48 KB L1 while A panels stream past it, and Dh up to
    // 256 needs a single pass over C. MC: a [MC, KC] block of A (192 KB) stays in the 1 MB L2; 192 is a
    // multiple of every MR and covers batches of up to 192 rows in one block. NC: a [KC, NC] block of B
    // (4 MB) fits the L3 share of a core; A is repacked once per NC columns, so NC is kept large.
    private const int Kc = 256;
    private const int Mc = 192;
    private const int Nc = 4096;

    // Up to this many rows the packed path reads B in place when it is not transposed (measured crossover).
    private const int DirectBRows = 32;

    // Below this many rows packing B cannot pay for itself: each element of B is used at most SkinnyRows times.
    private const int SkinnyRows = 4;

    // Between these many elements of op(A) (1 MB to 64 MB), a column split shares one packed copy of A among
    // the workers instead of each packing its own.
    private const long SharedPackMin = 1L << 18;
    private const long SharedPackMax = 1L << 24;

    // Handing work to another thread costs a few microseconds (Parallel.For waking a pool thread); 2^20
    // multiply-adds take about 12 µs on one core, so smaller products stay on the caller's thread.
    private const long MinWorkPerThread = 1L << 20;

    // The direct path for op(B) = B keeps up to SkinnyRows running rows of this many columns (16 KB) in L1;
    // threads split it on multiples of 64 columns.
    private const int SkinnyChunk = 1024;
    private const int SkinnyStrip = 64;

    // [ThreadStatic] keeps one scratch per thread, so concurrent callers and Parallel.For workers never
    // share packing space; pinned so the packing code can hold raw, 64-byte-aligned pointers into it.
    [ThreadStatic]
    private static float[]? t_scratch;

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
                                bool accumulate, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
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
            new Job(pa, lda, transA, pb, ldb, transB, pc, ldc, m, n, k, accumulate).Run(threads);
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

    // Per-thread scratch of at least `floats` floats, 64-byte aligned so packed panels start on cache lines.
    private static float* Scratch(long floats)
    {
        var buffer = t_scratch;
        if (buffer is null || buffer.Length < floats + 16)
        {
            buffer = GC.AllocateUninitializedArray<float>((int)(floats + 16), pinned: true);
            t_scratch = buffer;
        }

        var p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)((p + 63) & ~(nint)63);
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private readonly struct Job(float* a, int lda, bool transA, float* b, int ldb, bool transB,
                                float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        public void Run(int threads)
        {
            var skinny = m <= SkinnyRows;

            // Splitting rows makes every worker pack all of B (k·n floats), splitting columns all of A (m·k):
            // cut across the longer side so the duplicated packing is the smaller operand.
            var splitRows = !skinny && m > n;
            var unit = skinny ? SkinnyStrip : splitRows ? Mr : Nr;
            var units = ((splitRows ? m : n) + unit - 1) / unit;
            var work = (long)m * n * k;
            var parts = (int)Math.Min(Math.Min(threads, units), Math.Max(1L, work / MinWorkPerThread));
            if (parts <= 1)
            {
                Block(0, m, 0, n, null);
                return;
            }

            // Split by columns, every worker would transpose-pack all of A itself; when that A is large (k in the
            // thousands: G·U in back-prop) it is packed once, cooperatively, and shared read-only instead.
            var sharedA = (long)RoundUp(m, Mr) * k;
            if (!skinny && !splitRows && !transA && m <= Mc && sharedA >= SharedPackMin && sharedA <= SharedPackMax)
            {
                RunSharedA(parts, units, unit);
                return;
            }

            RunParallel(this, splitRows ? m : n, splitRows, unit, units, parts, null);
        }

        private void RunSharedA(int parts, int units, int unit)
        {
            var panelRows = RoundUp(m, Mr);
            var blocks = (k + Kc - 1) / Kc;
            var pool = ArrayPool<float>.Shared.Rent(panelRows * k + 16);
            try
            {
                fixed (float* raw = pool)
                {
                    var packed = (float*)(((nint)raw + 63) & ~(nint)63); // [k/KC][m/MR][KC][MR] all of op(A), packed
                    PackAllOfA(this, packed, panelRows, blocks, Math.Min(parts, blocks));
                    RunParallel(this, n, false, unit, units, parts, packed);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(pool);
            }
        }

        private static void PackAllOfA(Job job, float* packed, int panelRows, int blocks, int parts) =>
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
                         t => job.PackABlocks(packed, panelRows, blocks * t / parts, blocks * (t + 1) / parts));

        // Packs k-blocks [q0, q1) of op(A) = A into their slots of the shared [k/KC][m/MR][KC][MR] buffer.
        private void PackABlocks(float* packed, int panelRows, int q0, int q1)
        {
            for (var q = q0; q < q1; q++)
            {
                var pc = q * Kc;
                PackTransposed(a + pc, lda, m, Math.Min(Kc, k - pc), packed + (long)panelRows * pc, Mr);
            }
        }

        // Separate from Run so that the closure is only allocated when threads are actually used.
        private static void RunParallel(Job job, int length, bool splitRows, int unit, int units, int parts, float* packedA)
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, t =>
            {
                var from = Math.Min(length, (int)((long)units * t / parts) * unit);
                var to = Math.Min(length, (int)((long)units * (t + 1) / parts) * unit);
                if (splitRows)
                {
                    job.Block(from, to, 0, int.MaxValue, packedA);
                }
                else
                {
                    job.Block(0, int.MaxValue, from, to, packedA);
                }
            });
        }

        // packedA: all of op(A) already packed as [k/KC][m/MR][KC][MR], or null to pack block by block here.
        private void Block(int i0, int i1, int j0, int j1, float* packedA)
        {
            (i1, j1) = (Math.Min(i1, m), Math.Min(j1, n));
            if (i1 <= i0 || j1 <= j0)
            {
                return;
            }

            if (m <= SkinnyRows)
            {
                if (transB)
                {
                    SkinnyDot(i0, i1, j0, j1);
                }
                else
                {
                    SkinnyAxpy(i0, i1, j0, j1);
                }
            }
            else
            {
                Packed(i0, i1, j0, j1, packedA);
            }
        }

        private void Packed(int i0, int i1, int j0, int j1, float* packedA)
        {
            int mr = Mr, nr = Nr;

            // With few rows each element of B is used only a few times, so copying it into panels costs about
            // as much as the multiply; B is then read in place (op(B) = B has NR-wide rows already). This may
            // differ between workers of one call, which is harmless: the kernel reads the same values either way.
            var directB = !transB && i1 - i0 <= DirectBRows;
            var kcMax = Math.Min(Kc, k);
            var bSize = (directB ? nr : RoundUp(Math.Min(Nc, j1 - j0), nr)) * kcMax;
            var aSize = RoundUp(Math.Min(Mc, i1 - i0), mr) * kcMax;
            var scratch = Scratch(RoundUp(bSize, 16) + (long)aSize);
            var bp = scratch;                      // [NC/NR][KC][NR] packed B, or [KC][NR] ragged panel if directB
            var ap = scratch + RoundUp(bSize, 16); // [MC/MR][KC][MR] packed A
            for (var jc = j0; jc < j1; jc += Nc)
            {
                var nc = Math.Min(Nc, j1 - jc);
                for (var pc = 0; pc < k; pc += Kc)
                {
                    var kc = Math.Min(Kc, k - pc);
                    var addC = accumulate || pc > 0;
                    if (transB)
                    {
                        PackTransposed(b + (long)jc * ldb + pc, ldb, nc, kc, bp, nr);
                    }
                    else if (!directB)
                    {
                        PackCopy(b + (long)pc * ldb + jc, ldb, kc, nc, bp, nr);
                    }

                    for (var ic = i0; ic < i1; ic += Mc)
                    {
                        var mc = Math.Min(Mc, i1 - ic);
                        if (packedA is not null)
                        {
                            ap = packedA + (long)RoundUp(m, mr) * pc;
                        }
                        else if (transA)
                        {
                            PackCopy(a + (long)pc * lda + ic, lda, kc, mc, ap, mr);
                        }
                        else
                        {
                            PackTransposed(a + (long)ic * lda + pc, lda, mc, kc, ap, mr);
                        }

                        Macro(ap, bp, directB ? b + (long)pc * ldb + jc : null, directB ? ldb : -1,
                              mc, nc, kc, c + (long)ic * ldc + jc, ldc, addC);
                    }
                }
            }
        }

        // Direct path for op(B) = B: B is streamed row by row (the access the prefetchers like best) and each row
        // of C is built as a running FMA chain over p in L1-sized chunks; when accumulating, the chain is kept in
        // scratch and added to C at the end, so C sees exactly one rounding, as in the packed path.
        private void SkinnyAxpy(int i0, int i1, int j0, int j1)
        {
            long rowStep = transA ? 1 : lda, colStep = transA ? lda : 1;
            var rows = i1 - i0;
            var chain = Scratch((long)rows * SkinnyChunk); // [rows, SkinnyChunk] running sums
            for (var j = j0; j < j1; j += SkinnyChunk)
            {
                var w = Math.Min(SkinnyChunk, j1 - j);
                for (var r = 0; r < rows; r++)
                {
                    new Span<float>(chain + r * SkinnyChunk, w).Clear();
                }

                var brow = b + j;
                for (var p = 0; p < k; p++, brow += ldb)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        Axpy(a[(i0 + r) * rowStep + p * colStep], brow, chain + r * SkinnyChunk, w);
                    }
                }

                for (var r = 0; r < rows; r++)
                {
                    var crow = c + (long)(i0 + r) * ldc + j;
                    var sums = chain + r * SkinnyChunk;
                    if (accumulate)
                    {
                        for (var x = 0; x < w; x++)
                        {
                            crow[x] += sums[x];
                        }
                    }
                    else
                    {
                        new ReadOnlySpan<float>(sums, w).CopyTo(new Span<float>(crow, w));
                    }
                }
            }
        }

        // Direct path for op(B) = Bᵀ: every element is a dot product of two contiguous k-vectors.
        private void SkinnyDot(int i0, int i1, int j0, int j1)
        {
            var gathered = transA ? Scratch(k) : null; // [k] column i of A made contiguous
            for (var i = i0; i < i1; i++)
            {
                float* x;
                if (transA)
                {
                    for (var p = 0; p < k; p++)
                    {
                        gathered[p] = a[(long)p * lda + i];
                    }

                    x = gathered;
                }
                else
                {
                    x = a + (long)i * lda;
                }

                var crow = c + (long)i * ldc;
                var j = j0;
                for (; j + 4 <= j1; j += 4)
                {
                    var y = b + (long)j * ldb;
                    Dot4(x, y, y + ldb, y + 2 * ldb, y + 3 * ldb, k, out var d0, out var d1, out var d2, out var d3);
                    crow[j] = accumulate ? crow[j] + d0 : d0;
                    crow[j + 1] = accumulate ? crow[j + 1] + d1 : d1;
                    crow[j + 2] = accumulate ? crow[j + 2] + d2 : d2;
                    crow[j + 3] = accumulate ? crow[j + 3] + d3 : d3;
                }

                for (; j < j1; j++)
                {
                    var d = Dot1(x, b + (long)j * ldb, k);
                    crow[j] = accumulate ? crow[j] + d : d;
                }
            }
        }
    }

    // Multiplies packed [MC, KC] A by the [KC, NC] block of B into the [mc, nc] block of C at `c`, tile by tile.
    // B is either packed at `bp` ([NC/NR][KC][NR], ldb < 0) or read in place at `b` with row stride ldb, in which
    // case only a ragged last panel is packed (zero-padded) into `bp`.
    // The B panel is the outer loop so that its [KC, NR] slice stays in L1 while every A panel streams past.
    private static void Macro(float* ap, float* bp, float* b, int ldb, int mc, int nc, int kc, float* c, int ldc, bool addC)
    {
        int mr = Mr, nr = Nr;
        var edge = stackalloc float[MaxMr * MaxNr]; // [MR, NR] tile that spills past the edge of C
        for (var jr = 0; jr < nc; jr += nr)
        {
            var nw = Math.Min(nr, nc - jr);
            var bPanel = bp + (long)jr * kc;
            var bStride = nr;
            if (ldb >= 0 && nw == nr)
            {
                bPanel = b + jr;
                bStride = ldb;
            }
            else if (ldb >= 0)
            {
                PackCopy(b + jr, ldb, kc, nw, bp, nr);
                bPanel = bp;
            }

            for (var ir = 0; ir < mc; ir += mr)
            {
                var mh = Math.Min(mr, mc - ir);
                var aPanel = ap + (long)ir * kc;
                var tile = c + (long)ir * ldc + jr;
                if (mh == mr && nw == nr)
                {
                    Tile(aPanel, bPanel, bStride, kc, tile, ldc, addC);
                }
                else if (s_kind == KernelKind.Avx512 && nw <= 16)
                {
                    // A ragged last column panel of ≤ 16 needs only half the 32-wide kernel.
                    Kernel8x16Avx512(aPanel, bPanel, bStride, kc, edge, 16);
                    MergeEdge(edge, 16, tile, ldc, mh, nw, addC);
                }
                else
                {
                    Tile(aPanel, bPanel, bStride, kc, edge, nr, false);
                    MergeEdge(edge, nr, tile, ldc, mh, nw, addC);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
    {
        switch (s_kind)
        {
            case KernelKind.Avx512:
                Kernel8x32Avx512(a, b, ldb, kc, c, ldc, addC);
                break;
            case KernelKind.VectorT:
                Kernel6xVector(a, b, ldb, kc, c, ldc, addC);
                break;
            default:
                Kernel4x4Scalar(a, b, ldb, kc, c, ldc, addC);
                break;
        }
    }

    private static void MergeEdge(float* tile, int stride, float* c, int ldc, int rows, int cols, bool addC)
    {
        for (var r = 0; r < rows; r++)
        {
            var src = tile + r * stride;
            var dst = c + (long)r * ldc;
            for (var j = 0; j < cols; j++)
            {
                dst[j] = addC ? dst[j] + src[j] : src[j];
            }
        }
    }

    // a: [kc][8] packed A panel, b: kc rows of 32 at stride ldb (packed or in place), c: 8 rows of 32 at stride ldc.
    private static void Kernel8x32Avx512(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            a += 8;
            b += ldb;
        }

        Store512(c, c00, c01, addC);
        Store512(c + ldc, c10, c11, addC);
        Store512(c + 2 * ldc, c20, c21, addC);
        Store512(c + 3 * ldc, c30, c31, addC);
        Store512(c + 4 * ldc, c40, c41, addC);
        Store512(c + 5 * ldc, c50, c51, addC);
        Store512(c + 6 * ldc, c60, c61, addC);
        Store512(c + 7 * ldc, c70, c71, addC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> lo, Vector512<float> hi, bool addC)
    {
        if (addC)
        {
            lo += Vector512.Load(c);
            hi += Vector512.Load(c + 16);
        }

        lo.Store(c);
        hi.Store(c + 16);
    }

    // a: [kc][8] packed A panel, b: kc rows at stride ldb of which the left 16 columns are used; c: 8 rows of 16.
    private static void Kernel8x16Avx512(float* a, float* b, int ldb, int kc, float* c, int ldc)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            a += 8;
            b += ldb;
        }

        c0.Store(c);
        c1.Store(c + ldc);
        c2.Store(c + 2 * ldc);
        c3.Store(c + 3 * ldc);
        c4.Store(c + 4 * ldc);
        c5.Store(c + 5 * ldc);
        c6.Store(c + 6 * ldc);
        c7.Store(c + 7 * ldc);
    }

    // a: [kc][6] packed A panel, b: kc rows of 2V at stride ldb, c: 6 rows of 2V at stride ldc (V = Vector<float>.Count).
    private static void Kernel6xVector(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
    {
        var v = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector.Load(b);
            var b1 = Vector.Load(b + v);
            var x = new Vector<float>(a[0]);
            c00 = Vector.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<float>(a[1]);
            c10 = Vector.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<float>(a[2]);
            c20 = Vector.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<float>(a[3]);
            c30 = Vector.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector.FusedMultiplyAdd(x, b1, c31);
            x = new Vector<float>(a[4]);
            c40 = Vector.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector.FusedMultiplyAdd(x, b1, c41);
            x = new Vector<float>(a[5]);
            c50 = Vector.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += ldb;
        }

        StoreVector(c, c00, c01, addC);
        StoreVector(c + ldc, c10, c11, addC);
        StoreVector(c + 2 * ldc, c20, c21, addC);
        StoreVector(c + 3 * ldc, c30, c31, addC);
        StoreVector(c + 4 * ldc, c40, c41, addC);
        StoreVector(c + 5 * ldc, c50, c51, addC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector(float* c, Vector<float> lo, Vector<float> hi, bool addC)
    {
        var v = Vector<float>.Count;
        if (addC)
        {
            lo += Vector.Load(c);
            hi += Vector.Load(c + v);
        }

        lo.Store(c);
        hi.Store(c + v);
    }

    // a: [kc][4] packed A panel, b: kc rows of 4 at stride ldb, c: 4 rows of 4. Only used without SIMD or FMA.
    private static void Kernel4x4Scalar(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
    {
        var acc = stackalloc float[16]; // [4, 4] tile
        new Span<float>(acc, 16).Clear();
        for (var p = 0; p < kc; p++)
        {
            for (var r = 0; r < 4; r++)
            {
                var x = a[r];
                acc[r * 4] = Madd(x, b[0], acc[r * 4]);
                acc[r * 4 + 1] = Madd(x, b[1], acc[r * 4 + 1]);
                acc[r * 4 + 2] = Madd(x, b[2], acc[r * 4 + 2]);
                acc[r * 4 + 3] = Madd(x, b[3], acc[r * 4 + 3]);
            }

            a += 4;
            b += ldb;
        }

        MergeEdge(acc, 4, c, ldc, 4, 4, addC);
    }

    // A lane computes fma(x, y, acc); scalar code must round the same way to give the same bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Madd(float x, float y, float acc) => s_hardwareFma ? MathF.FusedMultiplyAdd(x, y, acc) : x * y + acc;

    // Packs columns [0, width) of the kc × width row-major block at src (row stride ld) into W-wide panels:
    // dst [ceil(width/W)][kc][W], zero-padded past `width` so the kernel never needs a column mask.
    private static void PackCopy(float* src, int ld, int kc, int width, float* dst, int w)
    {
        for (var w0 = 0; w0 < width; w0 += w)
        {
            var cols = Math.Min(w, width - w0);
            var s = src + w0;
            var d = dst + (long)w0 * kc;
            if (cols == w && w % 16 == 0 && Vector512.IsHardwareAccelerated)
            {
                for (var p = 0; p < kc; p++, s += ld, d += w)
                {
                    for (var x = 0; x < w; x += 16)
                    {
                        Vector512.Load(s + x).Store(d + x);
                    }
                }
            }
            else if (cols == w && w % 8 == 0 && Vector256.IsHardwareAccelerated)
            {
                for (var p = 0; p < kc; p++, s += ld, d += w)
                {
                    for (var x = 0; x < w; x += 8)
                    {
                        Vector256.Load(s + x).Store(d + x);
                    }
                }
            }
            else
            {
                for (var p = 0; p < kc; p++, s += ld, d += w)
                {
                    var x = 0;
                    for (; x < cols; x++)
                    {
                        d[x] = s[x];
                    }

                    for (; x < w; x++)
                    {
                        d[x] = 0;
                    }
                }
            }
        }
    }

    // Packs rows [0, rows) of the rows × kc row-major block at src (row stride ld) transposed into W-high panels:
    // dst [ceil(rows/W)][kc][W] with dst[panel][p][r] = src[panel·W + r][p], zero-padded past `rows`.
    private static void PackTransposed(float* src, int ld, int rows, int kc, float* dst, int w)
    {
        for (var r0 = 0; r0 < rows; r0 += w)
        {
            var height = Math.Min(w, rows - r0);
            var d = dst + (long)r0 * kc;
            var r = 0;
            if (Avx.IsSupported && w % 8 == 0)
            {
                var kc8 = kc & ~7;
                for (; r + 8 <= height; r += 8)
                {
                    var s = src + (long)(r0 + r) * ld;
                    for (var p = 0; p < kc8; p += 8)
                    {
                        Transpose8x8(s + p, ld, d + (long)p * w + r, w);
                    }

                    for (var p = kc8; p < kc; p++)
                    {
                        for (var x = 0; x < 8; x++)
                        {
                            d[(long)p * w + r + x] = s[(long)x * ld + p];
                        }
                    }
                }
            }

            for (; r < height; r++)
            {
                var s = src + (long)(r0 + r) * ld;
                for (var p = 0; p < kc; p++)
                {
                    d[(long)p * w + r] = s[p];
                }
            }

            for (; r < w; r++)
            {
                for (var p = 0; p < kc; p++)
                {
                    d[(long)p * w + r] = 0;
                }
            }
        }
    }

    // dst[t·dstStride + x] = src[x·ld + t] for an 8 × 8 block: unpack pairs, shuffle quads, swap 128-bit halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int ld, float* dst, int dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + ld);
        var r2 = Avx.LoadVector256(src + 2 * (long)ld);
        var r3 = Avx.LoadVector256(src + 3 * (long)ld);
        var r4 = Avx.LoadVector256(src + 4 * (long)ld);
        var r5 = Avx.LoadVector256(src + 5 * (long)ld);
        var r6 = Avx.LoadVector256(src + 6 * (long)ld);
        var r7 = Avx.LoadVector256(src + 7 * (long)ld);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    // y[0, w) = fma(x, row[0, w), y): one step of every element's chain; lanes and the scalar tail round alike.
    private static void Axpy(float x, float* row, float* y, int w)
    {
        var j = 0;
        if (s_kind == KernelKind.Avx512)
        {
            var xv = Vector512.Create(x);
            for (; j + 16 <= w; j += 16)
            {
                Avx512F.FusedMultiplyAdd(xv, Vector512.Load(row + j), Vector512.Load(y + j)).Store(y + j);
            }
        }
        else if (s_kind == KernelKind.VectorT)
        {
            var xv = new Vector<float>(x);
            for (; j + Vector<float>.Count <= w; j += Vector<float>.Count)
            {
                Vector.FusedMultiplyAdd(xv, Vector.Load(row + j), Vector.Load(y + j)).Store(y + j);
            }
        }

        for (; j < w; j++)
        {
            y[j] = Madd(x, row[j], y[j]);
        }
    }

    // One dot product: a vector FMA chain per lane, lanes summed by Vector.Sum, then the tail chained on in
    // scalar. Dot4 performs exactly this sequence per element, so grouping never changes a result.
    private static float Dot1(float* x, float* y, int k)
    {
        var p = 0;
        var s = 0f;
        if (s_kind != KernelKind.Scalar)
        {
            var v = Vector<float>.Count;
            var acc = Vector<float>.Zero;
            for (; p + v <= k; p += v)
            {
                acc = Vector.FusedMultiplyAdd(Vector.Load(x + p), Vector.Load(y + p), acc);
            }

            s = Vector.Sum(acc);
        }

        for (; p < k; p++)
        {
            s = Madd(x[p], y[p], s);
        }

        return s;
    }

    private static void Dot4(float* x, float* y0, float* y1, float* y2, float* y3, int k,
                             out float d0, out float d1, out float d2, out float d3)
    {
        var p = 0;
        d0 = d1 = d2 = d3 = 0f;
        if (s_kind != KernelKind.Scalar)
        {
            var v = Vector<float>.Count;
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p + v <= k; p += v)
            {
                var xv = Vector.Load(x + p);
                s0 = Vector.FusedMultiplyAdd(xv, Vector.Load(y0 + p), s0);
                s1 = Vector.FusedMultiplyAdd(xv, Vector.Load(y1 + p), s1);
                s2 = Vector.FusedMultiplyAdd(xv, Vector.Load(y2 + p), s2);
                s3 = Vector.FusedMultiplyAdd(xv, Vector.Load(y3 + p), s3);
            }

            d0 = Vector.Sum(s0);
            d1 = Vector.Sum(s1);
            d2 = Vector.Sum(s2);
            d3 = Vector.Sum(s3);
        }

        for (; p < k; p++)
        {
            d0 = Madd(x[p], y0[p], d0);
            d1 = Madd(x[p], y1[p], d1);
            d2 = Madd(x[p], y2[p], d2);
            d3 = Madd(x[p], y3[p], d3);
        }
    }

    // Plain row-by-row product for non-float T; each row of C is independent, so rows can go to any thread.
    private readonly struct GenericJob<T>(T* a, int lda, bool transA, T* b, int ldb, bool transB,
                                          T* c, int ldc, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void RunParallel(GenericJob<T> job, int m, int parts) =>
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
                         t => job.Rows((int)((long)m * t / parts), (int)((long)m * (t + 1) / parts)));

        public void Rows(int i0, int i1)
        {
            var column = transA && transB ? ArrayPool<T>.Shared.Rent(k) : null; // [k] column i of A made contiguous
            try
            {
                for (var i = i0; i < i1; i++)
                {
                    if (transB)
                    {
                        DotRow(i, column);
                    }
                    else
                    {
                        AxpyRow(i);
                    }
                }
            }
            finally
            {
                if (column is not null)
                {
                    ArrayPool<T>.Shared.Return(column);
                }
            }
        }

        private static int Lanes => Vector.IsHardwareAccelerated && Vector<T>.IsSupported ? Vector<T>.Count : 0;

        private void AxpyRow(int i)
        {
            var v = Lanes;
            var crow = c + (long)i * ldc;
            if (!accumulate)
            {
                new Span<T>(crow, n).Clear();
            }

            for (var p = 0; p < k; p++)
            {
                var x = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                var brow = b + (long)p * ldb;
                var j = 0;
                if (v > 0)
                {
                    var xv = new Vector<T>(x);
                    for (; j + v <= n; j += v)
                    {
                        (Vector.Load(crow + j) + xv * Vector.Load(brow + j)).Store(crow + j);
                    }
                }

                for (; j < n; j++)
                {
                    crow[j] += x * brow[j];
                }
            }
        }

        private void DotRow(int i, T[]? column)
        {
            var v = Lanes;
            var crow = c + (long)i * ldc;
            ReadOnlySpan<T> arow;
            if (column is not null)
            {
                for (var p = 0; p < k; p++)
                {
                    column[p] = a[(long)p * lda + i];
                }

                arow = column.AsSpan(0, k);
            }
            else
            {
                arow = new ReadOnlySpan<T>(a + (long)i * lda, k);
            }

            for (var j = 0; j < n; j++)
            {
                var brow = new ReadOnlySpan<T>(b + (long)j * ldb, k);
                var sum = T.Zero;
                var p = 0;
                if (v > 0)
                {
                    var acc = Vector<T>.Zero;
                    for (; p + v <= k; p += v)
                    {
                        acc += new Vector<T>(arow[p..]) * new Vector<T>(brow[p..]);
                    }

                    sum = Vector.Sum(acc);
                }

                for (; p < k; p++)
                {
                    sum += arow[p] * brow[p];
                }

                crow[j] = accumulate ? crow[j] + sum : sum;
            }
        }
    }
}
