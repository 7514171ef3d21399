using System.Runtime.CompilerServices;

namespace RnnLm.Engine.Numerics;

// The float kernel of each KernelKind: AVX-512's own, and for the others one generic version over ILanes (Vector<T>,
// Vector256, Vector128, a single float). In the generic versions every element gets one fixed sequence of
// operations whatever other rows share the call, as in the AVX-512 ones: a dot is LaneKernels.Dot1's (lane chains,
// lanes summed, tail chained on); a weighted sum one FMA chain over j from zero (LaneKernels.Axpy's steps); an
// update w0·a0, FMA over the further rows in increasing i, + b, then · keep.
internal static unsafe partial class RowProducts
{
    // Row i of a is a + rows[i]·width, or a + i·width where rows is null.
    private static void Dots(KernelKind kind, float* a, int* rows, int m, float* b, int n, int width, float* dots)
    {
        if (kind == KernelKind.Avx512)
        {
            DotsAvx512(a, rows, m, b, n, width, dots);
        }
        else
        {
            KernelKinds.RunOnLanes(kind, new DotsKernel(a, rows, m, b, n, width, dots));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* RowOf(float* a, int* rows, int i, int width) => a + ((long)(rows == null ? i : rows[i]) * width);

    private static void Combine(KernelKind kind, float* weights, int m, float* b, int n, int width, float* sums)
    {
        if (kind == KernelKind.Avx512)
        {
            CombineAvx512(weights, m, b, n, width, sums);
        }
        else
        {
            KernelKinds.RunOnLanes(kind, new CombineKernel(weights, m, b, n, width, sums));
        }
    }

    // m > 0: the first product starts each element's sum.
    private static void AddOuter(KernelKind kind, float* weights, int m, float* a, float* b, int n, int width, float keep)
    {
        if (kind == KernelKind.Avx512)
        {
            AddOuterAvx512(weights, m, a, b, n, width, keep);
        }
        else
        {
            KernelKinds.RunOnLanes(kind, new AddOuterKernel(weights, m, a, b, n, width, keep));
        }
    }

    private readonly struct DotsKernel(float* a, int* rows, int m, float* b, int n, int width, float* dots) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            DotsLanes<TLanes, TVector>(a, rows, m, b, n, width, dots);
    }

    private readonly struct CombineKernel(float* weights, int m, float* b, int n, int width, float* sums) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            CombineLanes<TLanes, TVector>(weights, m, b, n, width, sums);
    }

    private readonly struct AddOuterKernel(float* weights, int m, float* a, float* b, int n, int width, float keep) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            AddOuterLanes<TLanes, TVector>(weights, m, a, b, n, width, keep);
    }

    // Rows of b four at a time, every row of a against them while they are in L1; the last up to three one by one.
    private static void DotsLanes<TLanes, TVector>(float* a, int* rows, int m, float* b, int n, int width, float* dots)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var j = 0;
        for (; j + 4 <= n; j += 4)
        {
            var y = b + ((long)j * width);
            for (var i = 0; i < m; i++)
            {
                var d = dots + ((long)i * n) + j;
                LaneKernels.Dot4<TLanes, TVector>(RowOf(a, rows, i, width), y, y + width, y + (2 * width), y + (3 * width), width,
                                                  out d[0], out d[1], out d[2], out d[3]);
            }
        }

        for (; j < n; j++)
        {
            for (var i = 0; i < m; i++)
            {
                dots[((long)i * n) + j] = LaneKernels.Dot1<TLanes, TVector>(RowOf(a, rows, i, width), b + ((long)j * width), width);
            }
        }
    }

    // Each row of b is read once and added, scaled, to every output row, which stays in L1 as the running sums.
    private static void CombineLanes<TLanes, TVector>(float* weights, int m, float* b, int n, int width, float* sums)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        new Span<float>(sums, m * width).Clear();
        for (var j = 0; j < n; j++)
        {
            var row = b + ((long)j * width);
            for (var i = 0; i < m; i++)
            {
                LaneKernels.Axpy<TLanes, TVector>(weights[((long)i * n) + j], row, sums + ((long)i * width), width);
            }
        }
    }

    // Row by row of b, whole vectors with TLanes and the columns past them one at a time, with the same arithmetic.
    private static void AddOuterLanes<TLanes, TVector>(float* weights, int m, float* a, float* b, int n, int width, float keep)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var full = width - (width % TLanes.Count);
        for (var j = 0; j < n; j++)
        {
            AddOuterColumns<TLanes, TVector>(weights + j, m, n, a, width, b + ((long)j * width), 0, full, keep);
            AddOuterColumns<Lanes1, float>(weights + j, m, n, a, width, b + ((long)j * width), full, width, keep);
        }
    }

    // Columns [from, to) of one row of b, to − from a multiple of TLanes.Count; w is the row's column of the weights.
    private static void AddOuterColumns<TLanes, TVector>(float* w, int m, int n, float* a, int width, float* row, int from, int to, float keep)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var shrink = keep != 1f;
        var (first, keepVector) = (TLanes.Create(w[0]), TLanes.Create(keep));
        for (var p = from; p < to; p += TLanes.Count)
        {
            var sum = TLanes.Multiply(first, TLanes.Load(a + p));
            for (var i = 1; i < m; i++)
            {
                sum = TLanes.MultiplyAdd(TLanes.Create(w[(long)i * n]), TLanes.Load(a + ((long)i * width) + p), sum);
            }

            var updated = TLanes.Add(TLanes.Load(row + p), sum);
            TLanes.Store(shrink ? TLanes.Multiply(updated, keepVector) : updated, row + p);
        }
    }
}
