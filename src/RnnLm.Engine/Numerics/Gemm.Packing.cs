using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

// Copies of op(A) and op(B) into the panels the micro-kernels read. Data moves only, no arithmetic: the vector
// copies are chosen by what the hardware has, whatever the kernel kind.
internal static unsafe partial class Gemm
{
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
            else if (w % 16 == 0 && Avx512F.IsSupported)
            {
                // A ragged panel (the last columns of a width such as 100): masked loads read only the columns there
                // are, and zero the rest; a 16-column strip at a time, down all kc rows, so each strip's mask is made once.
                var zero = Vector512<float>.Zero;
                for (var x = 0; x < w; x += 16)
                {
                    var mask = RowProducts.Mask(Math.Clamp(cols - x, 0, 16));
                    for (var p = 0; p < kc; p++)
                    {
                        Avx512F.MaskLoad(s + ((long)p * ld) + x, mask, zero).Store(d + ((long)p * w) + x);
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
}
