using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

// The AVX-512 dot products (KernelKind.Avx512), and the masks the AVX-512 kernels share.
internal static unsafe partial class RowProducts
{
    // How far ahead Dots prefetches b, in rows: 8 to 24 measured alike at width 100 (2.5 to 10 KB ahead).
    private const int PrefetchRows = 16;

    // Rows of b that Dots sweeps all rows of a over at a time: 32 rows of width 100 are 12.8 KB, which L1 holds beside
    // a group's hidden rows. A multiple of 8, so that the 4- and 8-row steps never straddle two blocks.
    private const int BlockRows = 32;

    // Lanes 0, 4, 8 and 12: the block sums that Reduce4 leaves in every lane of each 128-bit block.
    private static readonly Vector512<int> s_blockFirsts = Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    // Lanes [0, count) set: the mask of a row's last, partial vector.
    internal static Vector512<float> Mask(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    // Rows in pairs against 4 rows of b at a time (8 accumulators), an odd last row against 8 (8 again: FMA latency
    // times two pipes). A missing row of b repeats the last one and its result is dropped. b is taken in blocks of
    // BlockRows rows that every row of a meets while the block is in L1, so a large class's rows of U come from memory
    // once a call, not once per pair of rows. The first sweep over a block is usually its first touch in a while, from
    // L3 or memory, so it prefetches the rows a little ahead (measured: 5–7% of a training epoch). Each dot is the same
    // kernel's whatever the blocking, so the blocks change no bit.
    private static void DotsAvx512(float* a, int* rows, int m, float* b, int n, int width, float* dots)
    {
        var full = width & ~15;
        var mask = Mask(width - full);
        for (var block = 0; block < n; block += BlockRows)
        {
            var blockEnd = Math.Min(block + BlockRows, n);
            var i = 0;
            for (; i + 2 <= m; i += 2)
            {
                var a0 = RowOf(a, rows, i, width);
                var a1 = RowOf(a, rows, i + 1, width);
                for (var j = block; j < blockEnd; j += 4)
                {
                    if (i == 0)
                    {
                        Prefetch(b, j + PrefetchRows, Math.Min(j + PrefetchRows + 4, n), width);
                    }

                    Dots2x4(a0, a1, Row(b, j, n, width), Row(b, j + 1, n, width), Row(b, j + 2, n, width), Row(b, j + 3, n, width),
                            full, width, mask, out var r0, out var r1);
                    Store(r0, dots + ((long)i * n) + j, n - j);
                    Store(r1, dots + ((long)(i + 1) * n) + j, n - j);
                }
            }

            if (i < m)
            {
                var a0 = RowOf(a, rows, i, width);
                for (var j = block; j < blockEnd; j += 8)
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
}
