using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

// The AVX-512 micro-kernels (KernelKind.Avx512).
internal static unsafe partial class Gemm
{
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

    // y[0, w) = fma(x, row[0, w), y): one step of every element's chain; lanes and the scalar tail round alike.
    private static void AxpyAvx512(float x, float* row, float* y, int w)
    {
        var j = 0;
        var xv = Vector512.Create(x);
        for (; j + 16 <= w; j += 16)
        {
            Avx512F.FusedMultiplyAdd(xv, Vector512.Load(row + j), Vector512.Load(y + j)).Store(y + j);
        }

        for (; j < w; j++)
        {
            y[j] = KernelKinds.MultiplyAdd(x, row[j], y[j]);
        }
    }
}
