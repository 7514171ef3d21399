namespace RnnLm.Engine.Numerics;

/// <summary>
/// The per-element arithmetic of dot products and row updates on <see cref="ILanes{TVector}"/>, written once for
/// every vector width and the scalar kind. A dot product is a fused multiply-add chain per lane over the whole
/// vectors, the lanes summed by the vector type's Sum, then the tail chained on in scalar; Dot4 performs exactly
/// Dot1's sequence for each of its four results, so grouping never changes a result.
/// </summary>
internal static unsafe class LaneKernels
{
    /// <summary><see cref="Axpy{TLanes, TVector}"/> with its arguments, for <see cref="KernelKinds.RunOnLanes"/>.</summary>
    public readonly struct AxpyKernel(float x, float* row, float* y, int w) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            Axpy<TLanes, TVector>(x, row, y, w);
    }

    // y[0, w) = fma(x, row[0, w), y): one step of every element's chain; lanes and the scalar tail round alike.
    public static void Axpy<TLanes, TVector>(float x, float* row, float* y, int w)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var j = 0;
        var xv = TLanes.Create(x);
        for (; j + TLanes.Count <= w; j += TLanes.Count)
        {
            TLanes.Store(TLanes.MultiplyAdd(xv, TLanes.Load(row + j), TLanes.Load(y + j)), y + j);
        }

        for (; j < w; j++)
        {
            y[j] = KernelKinds.MultiplyAdd(x, row[j], y[j]);
        }
    }

    public static float Dot1<TLanes, TVector>(float* x, float* y, int k)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var p = 0;
        TVector acc = default;
        for (; p + TLanes.Count <= k; p += TLanes.Count)
        {
            acc = TLanes.MultiplyAdd(TLanes.Load(x + p), TLanes.Load(y + p), acc);
        }

        var s = TLanes.Sum(acc);
        for (; p < k; p++)
        {
            s = KernelKinds.MultiplyAdd(x[p], y[p], s);
        }

        return s;
    }

    public static void Dot4<TLanes, TVector>(float* x, float* y0, float* y1, float* y2, float* y3, int k,
                                             out float d0, out float d1, out float d2, out float d3)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var p = 0;
        TVector s0 = default, s1 = default, s2 = default, s3 = default;
        for (; p + TLanes.Count <= k; p += TLanes.Count)
        {
            var xv = TLanes.Load(x + p);
            s0 = TLanes.MultiplyAdd(xv, TLanes.Load(y0 + p), s0);
            s1 = TLanes.MultiplyAdd(xv, TLanes.Load(y1 + p), s1);
            s2 = TLanes.MultiplyAdd(xv, TLanes.Load(y2 + p), s2);
            s3 = TLanes.MultiplyAdd(xv, TLanes.Load(y3 + p), s3);
        }

        (d0, d1, d2, d3) = (TLanes.Sum(s0), TLanes.Sum(s1), TLanes.Sum(s2), TLanes.Sum(s3));
        for (; p < k; p++)
        {
            d0 = KernelKinds.MultiplyAdd(x[p], y0[p], d0);
            d1 = KernelKinds.MultiplyAdd(x[p], y1[p], d1);
            d2 = KernelKinds.MultiplyAdd(x[p], y2[p], d2);
            d3 = KernelKinds.MultiplyAdd(x[p], y3[p], d3);
        }
    }
}
