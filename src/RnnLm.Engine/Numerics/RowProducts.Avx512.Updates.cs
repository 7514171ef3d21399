using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

// The AVX-512 weighted row sums and row updates (KernelKind.Avx512): Combine, AddOuter and the fused backward step.
internal static unsafe partial class RowProducts
{
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
