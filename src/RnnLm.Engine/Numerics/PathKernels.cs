using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RnnLm.Engine.Numerics;

/// <summary>
/// The float products of a tree output (hierarchical softmax) over one word's path: the rows of U at the path's inner
/// nodes lie scattered through U, so they are read in place by index. Per path and row of a batch, these replace one
/// library call per node (a dot, then a scaled add for the hidden gradient, then one for the update) whose set-up and
/// tails cost as much as the arithmetic at a width of about 100.
/// </summary>
/// <remarks>
/// Every kind runs one generic version over <see cref="ILanes{TVector}"/>; AVX-512 takes 16 lanes. A logit is
/// <see cref="LaneKernels.Dot1{TLanes, TVector}"/>'s sequence whatever the path around it (four nodes at a time give the
/// same bits as one), so a node's logit depends only on the node and the row. The hidden gradient and the update are
/// element-wise fused multiply-add chains, the same bits for every kind.
/// </remarks>
internal static unsafe class PathKernels
{
    /// <summary>z[j] = h · u[path[j]] + bias[path[j]], for the nodes of <paramref name="path"/>; u is [*, h.Length].</summary>
    /// <remarks>The nodes must be rows of u and entries of bias (a <see cref="Model.WordTree"/>'s path for its layer): only a debug build checks.</remarks>
    /// <exception cref="ArgumentException">z is shorter than the path.</exception>
    public static void Logits(ReadOnlySpan<float> h, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, ReadOnlySpan<int> path, Span<float> z) =>
        Logits(h, u, bias, path, z, KernelKinds.Default);

    /// <summary><see cref="Logits(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float})"/> with the lanes of <paramref name="kind"/>.</summary>
    internal static void Logits(ReadOnlySpan<float> h, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, ReadOnlySpan<int> path, Span<float> z, KernelKind kind)
    {
        KernelKinds.ThrowIfUnsupported(kind);
        ArgumentOutOfRangeException.ThrowIfLessThan(z.Length, path.Length, nameof(z));
        Debug.Assert(NodesWithin(path, u.Length, h.Length, bias.Length), "A node of the path is outside the weights.");
        fixed (float* ph = h, pu = u, pb = bias, pz = z)
        fixed (int* pp = path)
        {
            KernelKinds.RunElementwise(kind, new LogitsKernel(ph, pu, pb, pp, path.Length, h.Length, pz));
        }
    }

    /// <summary>
    /// gradient = Σ_j errors[j] · u[path[j]], each element one fused multiply-add chain over j in path order from zero.
    /// </summary>
    /// <remarks>The nodes must be rows of u: only a debug build checks.</remarks>
    /// <exception cref="ArgumentException">errors is shorter than the path.</exception>
    public static void Combine(ReadOnlySpan<float> u, ReadOnlySpan<int> path, ReadOnlySpan<float> errors, Span<float> gradient) =>
        Combine(u, path, errors, gradient, KernelKinds.Default);

    /// <summary><see cref="Combine(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float})"/> with the lanes of <paramref name="kind"/>.</summary>
    internal static void Combine(ReadOnlySpan<float> u, ReadOnlySpan<int> path, ReadOnlySpan<float> errors, Span<float> gradient, KernelKind kind)
    {
        KernelKinds.ThrowIfUnsupported(kind);
        ArgumentOutOfRangeException.ThrowIfLessThan(errors.Length, path.Length, nameof(errors));
        Debug.Assert(NodesWithin(path, u.Length, gradient.Length, int.MaxValue), "A node of the path is outside the weights.");
        fixed (float* pu = u, pe = errors, pg = gradient)
        fixed (int* pp = path)
        {
            KernelKinds.RunElementwise(kind, new CombineKernel(pu, pp, pe, path.Length, gradient.Length, pg));
        }
    }

    /// <summary>y = fma(x, row, y) element by element: a node's step (u_n += step·h) or its sum over a block.</summary>
    /// <exception cref="ArgumentException">y is longer than row.</exception>
    public static void AddScaled(float x, ReadOnlySpan<float> row, Span<float> y) => AddScaled(x, row, y, KernelKinds.Default);

    /// <summary><see cref="AddScaled(float, ReadOnlySpan{float}, Span{float})"/> with the lanes of <paramref name="kind"/>.</summary>
    internal static void AddScaled(float x, ReadOnlySpan<float> row, Span<float> y, KernelKind kind)
    {
        KernelKinds.ThrowIfUnsupported(kind);
        ArgumentOutOfRangeException.ThrowIfLessThan(row.Length, y.Length, nameof(row));
        fixed (float* pr = row, py = y)
        {
            KernelKinds.RunElementwise(kind, new LaneKernels.AxpyKernel(x, pr, py, y.Length));
        }
    }

    // Every node a row of u (and an entry of bias). The paths are a WordTree's, checked against the shape when the layer
    // is made; a check per call here cost 2% of a tree epoch, so it is a debug assertion.
    private static bool NodesWithin(ReadOnlySpan<int> path, int uLength, int width, int biasLength)
    {
        var rows = width == 0 ? int.MaxValue : uLength / width;
        foreach (var node in path)
        {
            if ((uint)node >= (uint)rows || (uint)node >= (uint)biasLength)
            {
                return false;
            }
        }

        return true;
    }

    // Four nodes at a time (LaneKernels.Dot4: each result Dot1's sequence), the last up to three one by one.
    private static void LogitsLanes<TLanes, TVector>(float* h, float* u, float* bias, int* path, int length, int width, float* z)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var j = 0;
        for (; j + 4 <= length; j += 4)
        {
            LaneKernels.Dot4<TLanes, TVector>(h, Row(u, path[j], width), Row(u, path[j + 1], width), Row(u, path[j + 2], width), Row(u, path[j + 3], width), width,
                                              out var d0, out var d1, out var d2, out var d3);
            z[j] = d0 + bias[path[j]];
            z[j + 1] = d1 + bias[path[j + 1]];
            z[j + 2] = d2 + bias[path[j + 2]];
            z[j + 3] = d3 + bias[path[j + 3]];
        }

        for (; j < length; j++)
        {
            z[j] = LaneKernels.Dot1<TLanes, TVector>(h, Row(u, path[j], width), width) + bias[path[j]];
        }
    }

    // Each vector of the gradient summed over the path in registers, then stored once.
    private static void CombineLanes<TLanes, TVector>(float* u, int* path, float* errors, int length, int width, float* gradient)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var p = 0;
        for (; p + TLanes.Count <= width; p += TLanes.Count)
        {
            TVector sum = default;
            for (var j = 0; j < length; j++)
            {
                sum = TLanes.MultiplyAdd(TLanes.Create(errors[j]), TLanes.Load(Row(u, path[j], width) + p), sum);
            }

            TLanes.Store(sum, gradient + p);
        }

        for (; p < width; p++)
        {
            var sum = 0f;
            for (var j = 0; j < length; j++)
            {
                sum = KernelKinds.MultiplyAdd(errors[j], Row(u, path[j], width)[p], sum);
            }

            gradient[p] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Row(float* u, int node, int width) => u + ((long)node * width);

    private readonly struct LogitsKernel(float* h, float* u, float* bias, int* path, int length, int width, float* z) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            LogitsLanes<TLanes, TVector>(h, u, bias, path, length, width, z);
    }

    private readonly struct CombineKernel(float* u, int* path, float* errors, int length, int width, float* gradient) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            CombineLanes<TLanes, TVector>(u, path, errors, length, width, gradient);
    }
}
