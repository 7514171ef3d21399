using System.Runtime.CompilerServices;

namespace RnnLm.Engine.Numerics;

// The micro-kernel of every kind but AVX-512, written once over ILanes: 6 rows of 2V, V the lanes of Vector<T>,
// Vector256 or Vector128, or a single float for the scalar kind.
internal static unsafe partial class Gemm
{
    private readonly struct Tile6x2V(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            Kernel6x2V<TLanes, TVector>(a, b, ldb, kc, c, ldc, addC);
    }

    // a: [kc][6] packed A panel, b: kc rows of 2V at stride ldb, c: 6 rows of 2V at stride ldc (V = TLanes.Count).
    private static void Kernel6x2V<TLanes, TVector>(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var v = TLanes.Count;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = TLanes.Load(b);
            var b1 = TLanes.Load(b + v);
            var x = TLanes.Create(a[0]);
            c00 = TLanes.MultiplyAdd(x, b0, c00);
            c01 = TLanes.MultiplyAdd(x, b1, c01);
            x = TLanes.Create(a[1]);
            c10 = TLanes.MultiplyAdd(x, b0, c10);
            c11 = TLanes.MultiplyAdd(x, b1, c11);
            x = TLanes.Create(a[2]);
            c20 = TLanes.MultiplyAdd(x, b0, c20);
            c21 = TLanes.MultiplyAdd(x, b1, c21);
            x = TLanes.Create(a[3]);
            c30 = TLanes.MultiplyAdd(x, b0, c30);
            c31 = TLanes.MultiplyAdd(x, b1, c31);
            x = TLanes.Create(a[4]);
            c40 = TLanes.MultiplyAdd(x, b0, c40);
            c41 = TLanes.MultiplyAdd(x, b1, c41);
            x = TLanes.Create(a[5]);
            c50 = TLanes.MultiplyAdd(x, b0, c50);
            c51 = TLanes.MultiplyAdd(x, b1, c51);
            a += 6;
            b += ldb;
        }

        StoreVector<TLanes, TVector>(c, c00, c01, addC);
        StoreVector<TLanes, TVector>(c + ldc, c10, c11, addC);
        StoreVector<TLanes, TVector>(c + 2 * ldc, c20, c21, addC);
        StoreVector<TLanes, TVector>(c + 3 * ldc, c30, c31, addC);
        StoreVector<TLanes, TVector>(c + 4 * ldc, c40, c41, addC);
        StoreVector<TLanes, TVector>(c + 5 * ldc, c50, c51, addC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector<TLanes, TVector>(float* c, TVector lo, TVector hi, bool addC)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var v = TLanes.Count;
        if (addC)
        {
            lo = TLanes.Add(lo, TLanes.Load(c));
            hi = TLanes.Add(hi, TLanes.Load(c + v));
        }

        TLanes.Store(lo, c);
        TLanes.Store(hi, c + v);
    }
}
