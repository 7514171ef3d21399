using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RnnLm.Engine.Numerics;

// Cache blocking and the split across threads: which rows and columns of C each worker owns, which path
// (skinny or packed) computes them, and the loops over KC/MC/NC blocks and MR × NR tiles.
internal static unsafe partial class Gemm
{
    private const int MaxMr = 8;
    internal const int MaxNr = 32;

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

    // MR × NR, the tile a micro-kernel keeps in registers. 8 × 32 on AVX-512: 16 zmm accumulators, 2 loads of B
    // and 8 broadcasts per 16 FMAs, which keeps both FMA pipes busy; 8 rows divide the usual batch sizes (16, 32,
    // 160, ...) with no ragged panel. 6 × 2V on V-lane vectors (V = 1 for the scalar kind): the classic
    // 12-accumulator tile that fits 16 ymm registers.
    private static (int Mr, int Nr) Tiling(KernelKind kind) =>
        kind == KernelKind.Avx512 ? (8, 32) : (6, 2 * KernelKinds.LaneCount(kind));

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

    private readonly partial struct Job(float* a, int lda, bool transA, float* b, int ldb, bool transB,
                                        float* c, int ldc, int m, int n, int k, bool accumulate, KernelKind kind)
    {
        private readonly (int Mr, int Nr) _tile = Tiling(kind);

        public void Run(int threads)
        {
            var skinny = m <= SkinnyRows;
            var (mr, nr) = _tile;

            // Splitting rows makes every worker pack all of B (k·n floats), splitting columns all of A (m·k):
            // cut across the longer side so the duplicated packing is the smaller operand.
            var splitRows = !skinny && m > n;
            var unit = skinny ? SkinnyStrip : splitRows ? mr : nr;
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
            var sharedA = (long)RoundUp(m, mr) * k;
            if (!skinny && !splitRows && !transA && m <= Mc && sharedA >= SharedPackMin && sharedA <= SharedPackMax)
            {
                RunSharedA(parts, units, unit);
                return;
            }

            RunParallel(this, splitRows ? m : n, splitRows, unit, units, parts, null);
        }

        private void RunSharedA(int parts, int units, int unit)
        {
            var panelRows = RoundUp(m, _tile.Mr);
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
                PackTransposed(a + pc, lda, m, Math.Min(Kc, k - pc), packed + (long)panelRows * pc, _tile.Mr);
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
            var (mr, nr) = _tile;

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
                              mc, nc, kc, c + (long)ic * ldc + jc, ldc, addC, kind);
                    }
                }
            }
        }
    }

    // Multiplies packed [MC, KC] A by the [KC, NC] block of B into the [mc, nc] block of C at `c`, tile by tile.
    // B is either packed at `bp` ([NC/NR][KC][NR], ldb < 0) or read in place at `b` with row stride ldb, in which
    // case only a ragged last panel is packed (zero-padded) into `bp`.
    // The B panel is the outer loop so that its [KC, NR] slice stays in L1 while every A panel streams past.
    private static void Macro(float* ap, float* bp, float* b, int ldb, int mc, int nc, int kc, float* c, int ldc, bool addC, KernelKind kind)
    {
        var (mr, nr) = Tiling(kind);
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
                // A ragged last panel of ≤ 16 columns on AVX-512 is read by the 16-wide kernel: packed 16 wide, not nr.
                bStride = kind == KernelKind.Avx512 && nw <= 16 ? 16 : nr;
                PackCopy(b + jr, ldb, kc, nw, bp, bStride);
                bPanel = bp;
            }

            for (var ir = 0; ir < mc; ir += mr)
            {
                var mh = Math.Min(mr, mc - ir);
                var aPanel = ap + (long)ir * kc;
                var tile = c + (long)ir * ldc + jr;
                if (mh == mr && nw == nr)
                {
                    Tile(kind, aPanel, bPanel, bStride, kc, tile, ldc, addC);
                }
                else if (kind == KernelKind.Avx512 && nw <= 16)
                {
                    // A ragged last column panel of ≤ 16 needs only half the 32-wide kernel.
                    Kernel8x16Avx512(aPanel, bPanel, bStride, kc, edge, 16);
                    MergeEdge(edge, 16, tile, ldc, mh, nw, addC);
                }
                else
                {
                    Tile(kind, aPanel, bPanel, bStride, kc, edge, nr, false);
                    MergeEdge(edge, nr, tile, ldc, mh, nw, addC);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(KernelKind kind, float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
    {
        if (kind == KernelKind.Avx512)
        {
            Kernel8x32Avx512(a, b, ldb, kc, c, ldc, addC);
        }
        else
        {
            KernelKinds.RunOnLanes(kind, new Tile6x2V(a, b, ldb, kc, c, ldc, addC));
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
}
