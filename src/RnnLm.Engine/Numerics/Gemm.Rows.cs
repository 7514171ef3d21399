using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Numerics;

// Row products whose bits do not depend on how many rows share the call: the recurrent product of inference, for one
// row (the running state of /next and generation) and for many (sentences scored in lock-step), and the
// vector-times-matrix kernel that does the one-row case.
internal static unsafe partial class Gemm
{
    // Up to this many rows AddRowProducts runs the vector-times-matrix kernel once per row; it reads B once a row, so
    // past a few rows the packed path, which reads it once per MR rows, takes over. Never below SkinnyRows: Multiply
    // would take the direct path, which sums over p in one chain where the packed path cuts it every KC.
    private const int RowKernelRows = SkinnyRows;

    /// <summary>
    /// C[m×n] += A[m×k] · B[k×n], all row-major with leading dimensions, where each row of C gets the same bits as a call
    /// with that row alone, for any m and k: every element is the packed path's sum (per k-block of KC one fused
    /// multiply-add chain over p from zero, added to C). Few rows run the vector-times-matrix kernel, one row at a time.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a leading dimension is too small.</exception>
    /// <exception cref="ArgumentException">A span is too short for its shape, or <paramref name="c"/> overlaps an input.</exception>
    public static void AddRowProducts(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k) =>
        AddRowProducts(a, lda, b, ldb, c, ldc, m, n, k, KernelKinds.Default);

    /// <summary><see cref="AddRowProducts(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, int, int, int)"/> with the kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As the public overload, or this machine cannot run <paramref name="kind"/>.</exception>
    /// <exception cref="ArgumentException">As the public overload.</exception>
    internal static void AddRowProducts(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, KernelKind kind)
    {
        KernelKinds.ThrowIfUnsupported(kind);
        Validate(a, lda, false, b, ldb, false, c, ldc, m, n, k);
        if (m > RowKernelRows)
        {
            Multiply(a, lda, false, b, ldb, false, c, ldc, m, n, k, true, 1, kind);
            return;
        }

        if (n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            for (var i = 0; i < m; i++)
            {
                for (var pk = 0; pk < k; pk += Kc)
                {
                    RowTimesBlock(kind, pa + (long)i * lda + pk, pb + (long)pk * ldb, ldb, pc + (long)i * ldc, n, Math.Min(Kc, k - pk));
                }
            }
        }
    }

    // c[0, n) += x[0, kc) · B[kc × n] for one k-block: the columns in groups of up to 8 vectors, as many groups as that
    // needs and of even sizes (8 chains hide the FMA latency; a group of one vector would wait on it).
    private static void RowTimesBlock(KernelKind kind, float* x, float* b, int ldb, float* c, int n, int kc)
    {
        if (kind != KernelKind.Avx512)
        {
            KernelKinds.RunOnLanes(kind, new RowTimesBlockKernel(x, b, ldb, c, n, kc));
            return;
        }

        var vectors = (n + 15) / 16;
        var groups = (vectors + 7) / 8;
        var (full, lastMask) = (RowProducts.Mask(16), RowProducts.Mask(n - ((vectors - 1) * 16)));
        for (var g = 0; g < groups; g++)
        {
            var (first, end) = (vectors * g / groups, vectors * (g + 1) / groups);
            var bg = b + (first * 16);
            var cg = c + (first * 16);
            var mask = end == vectors ? lastMask : full;
            switch (end - first)
            {
                case 1: ColumnsAvx512<One>(x, bg, ldb, cg, kc, mask); break;
                case 2: ColumnsAvx512<Two>(x, bg, ldb, cg, kc, mask); break;
                case 3: ColumnsAvx512<Three>(x, bg, ldb, cg, kc, mask); break;
                case 4: ColumnsAvx512<Four>(x, bg, ldb, cg, kc, mask); break;
                case 5: ColumnsAvx512<Five>(x, bg, ldb, cg, kc, mask); break;
                case 6: ColumnsAvx512<Six>(x, bg, ldb, cg, kc, mask); break;
                case 7: ColumnsAvx512<Seven>(x, bg, ldb, cg, kc, mask); break;
                default: ColumnsAvx512<Eight>(x, bg, ldb, cg, kc, mask); break;
            }
        }
    }

    // TCount.Value vectors of 16 columns from b and c, the last one under mask: one FMA chain per column over p.
    private static void ColumnsAvx512<TCount>(float* x, float* b, int ldb, float* c, int kc, Vector512<float> mask)
        where TCount : struct, IVectorCount
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var p = 0; p < kc; p++, b += ldb)
        {
            var xv = Vector512.Create(x[p]);
            a0 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 0, mask), a0);
            if (TCount.Value > 1)
            {
                a1 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 1, mask), a1);
            }

            if (TCount.Value > 2)
            {
                a2 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 2, mask), a2);
            }

            if (TCount.Value > 3)
            {
                a3 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 3, mask), a3);
            }

            if (TCount.Value > 4)
            {
                a4 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 4, mask), a4);
            }

            if (TCount.Value > 5)
            {
                a5 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 5, mask), a5);
            }

            if (TCount.Value > 6)
            {
                a6 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 6, mask), a6);
            }

            if (TCount.Value > 7)
            {
                a7 = Avx512F.FusedMultiplyAdd(xv, Load512<TCount>(b, 7, mask), a7);
            }
        }

        AddTo512<TCount>(a0, c, 0, mask);
        AddTo512<TCount>(a1, c, 1, mask);
        AddTo512<TCount>(a2, c, 2, mask);
        AddTo512<TCount>(a3, c, 3, mask);
        AddTo512<TCount>(a4, c, 4, mask);
        AddTo512<TCount>(a5, c, 5, mask);
        AddTo512<TCount>(a6, c, 6, mask);
        AddTo512<TCount>(a7, c, 7, mask);
    }

    // Vector v of a group; the group's last is loaded under the mask (its lanes past n load as zero and stay unused).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load512<TCount>(float* row, int v, Vector512<float> mask)
        where TCount : struct, IVectorCount =>
        v == TCount.Value - 1 ? Avx512F.MaskLoad(row + (v * 16), mask, Vector512<float>.Zero) : Vector512.Load(row + (v * 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo512<TCount>(Vector512<float> sum, float* c, int v, Vector512<float> mask)
        where TCount : struct, IVectorCount
    {
        if (v < TCount.Value - 1)
        {
            (sum + Vector512.Load(c + (v * 16))).Store(c + (v * 16));
        }
        else if (v == TCount.Value - 1)
        {
            Avx512F.MaskStore(c + (v * 16), mask, sum + Avx512F.MaskLoad(c + (v * 16), mask, Vector512<float>.Zero));
        }
    }

    private readonly struct RowTimesBlockKernel(float* x, float* b, int ldb, float* c, int n, int kc) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            RowTimesBlock<TLanes, TVector>(x, b, ldb, c, n, kc);
    }

    // The kinds without masks: when V does not divide n the last vector ends at column n and overlaps the one before
    // it, whose lanes there compute the same chains; a group adds C to all its vectors before it stores any, so both
    // store the same values. Fewer than V columns go one float at a time.
    private static void RowTimesBlock<TLanes, TVector>(float* x, float* b, int ldb, float* c, int n, int kc)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var v = TLanes.Count;
        if (n < v)
        {
            RowTimesBlock<Lanes1, float>(x, b, ldb, c, n, kc);
            return;
        }

        var vectors = (n + v - 1) / v;
        var groups = (vectors + 7) / 8;
        for (var g = 0; g < groups; g++)
        {
            // A group that ends the row holds at least 2 vectors whenever its last one is shifted: n > V then.
            var (first, end) = (vectors * g / groups, vectors * (g + 1) / groups);
            var bg = b + (first * v);
            var cg = c + (first * v);
            var shift = end == vectors ? (vectors * v) - n : 0;
            switch (end - first)
            {
                case 1: Columns<TLanes, TVector, One>(x, bg, ldb, cg, kc, shift); break;
                case 2: Columns<TLanes, TVector, Two>(x, bg, ldb, cg, kc, shift); break;
                case 3: Columns<TLanes, TVector, Three>(x, bg, ldb, cg, kc, shift); break;
                case 4: Columns<TLanes, TVector, Four>(x, bg, ldb, cg, kc, shift); break;
                case 5: Columns<TLanes, TVector, Five>(x, bg, ldb, cg, kc, shift); break;
                case 6: Columns<TLanes, TVector, Six>(x, bg, ldb, cg, kc, shift); break;
                case 7: Columns<TLanes, TVector, Seven>(x, bg, ldb, cg, kc, shift); break;
                default: Columns<TLanes, TVector, Eight>(x, bg, ldb, cg, kc, shift); break;
            }
        }
    }

    // TCount.Value vectors of V columns from b and c, the last one `shift` columns to the left.
    private static void Columns<TLanes, TVector, TCount>(float* x, float* b, int ldb, float* c, int kc, int shift)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TCount : struct, IVectorCount
    {
        var last = ((TCount.Value - 1) * TLanes.Count) - shift;
        TVector a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var p = 0; p < kc; p++, b += ldb)
        {
            var xv = TLanes.Create(x[p]);
            a0 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(0, last)), a0);
            if (TCount.Value > 1)
            {
                a1 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(1, last)), a1);
            }

            if (TCount.Value > 2)
            {
                a2 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(2, last)), a2);
            }

            if (TCount.Value > 3)
            {
                a3 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(3, last)), a3);
            }

            if (TCount.Value > 4)
            {
                a4 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(4, last)), a4);
            }

            if (TCount.Value > 5)
            {
                a5 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(5, last)), a5);
            }

            if (TCount.Value > 6)
            {
                a6 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(6, last)), a6);
            }

            if (TCount.Value > 7)
            {
                a7 = TLanes.MultiplyAdd(xv, TLanes.Load(b + Offset<TLanes, TVector, TCount>(7, last)), a7);
            }
        }

        a0 = AddC<TLanes, TVector, TCount>(a0, c, 0, last);
        a1 = AddC<TLanes, TVector, TCount>(a1, c, 1, last);
        a2 = AddC<TLanes, TVector, TCount>(a2, c, 2, last);
        a3 = AddC<TLanes, TVector, TCount>(a3, c, 3, last);
        a4 = AddC<TLanes, TVector, TCount>(a4, c, 4, last);
        a5 = AddC<TLanes, TVector, TCount>(a5, c, 5, last);
        a6 = AddC<TLanes, TVector, TCount>(a6, c, 6, last);
        a7 = AddC<TLanes, TVector, TCount>(a7, c, 7, last);
        StoreC<TLanes, TVector, TCount>(a0, c, 0, last);
        StoreC<TLanes, TVector, TCount>(a1, c, 1, last);
        StoreC<TLanes, TVector, TCount>(a2, c, 2, last);
        StoreC<TLanes, TVector, TCount>(a3, c, 3, last);
        StoreC<TLanes, TVector, TCount>(a4, c, 4, last);
        StoreC<TLanes, TVector, TCount>(a5, c, 5, last);
        StoreC<TLanes, TVector, TCount>(a6, c, 6, last);
        StoreC<TLanes, TVector, TCount>(a7, c, 7, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Offset<TLanes, TVector, TCount>(int v, int last)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TCount : struct, IVectorCount =>
        v == TCount.Value - 1 ? last : v * TLanes.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector AddC<TLanes, TVector, TCount>(TVector sum, float* c, int v, int last)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TCount : struct, IVectorCount =>
        v < TCount.Value ? TLanes.Add(sum, TLanes.Load(c + Offset<TLanes, TVector, TCount>(v, last))) : sum;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreC<TLanes, TVector, TCount>(TVector sum, float* c, int v, int last)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TCount : struct, IVectorCount
    {
        if (v < TCount.Value)
        {
            TLanes.Store(sum, c + Offset<TLanes, TVector, TCount>(v, last));
        }
    }

    /// <summary>A count known when a generic method is compiled for the struct: the JIT drops the code of the vectors past it.</summary>
    private interface IVectorCount
    {
        static abstract int Value { get; }
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct One : IVectorCount
    {
        public static int Value => 1;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Two : IVectorCount
    {
        public static int Value => 2;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Three : IVectorCount
    {
        public static int Value => 3;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Four : IVectorCount
    {
        public static int Value => 4;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Five : IVectorCount
    {
        public static int Value => 5;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Six : IVectorCount
    {
        public static int Value => 6;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Seven : IVectorCount
    {
        public static int Value => 7;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly struct Eight : IVectorCount
    {
        public static int Value => 8;
    }
}
