namespace RnnLm.Engine.Numerics;

// The micro-kernel of KernelKind.Scalar.
internal static unsafe partial class Gemm
{
    private static void Kernel4x4Scalar(float* a, float* b, int ldb, int kc, float* c, int ldc, bool addC)
    {
        var acc = stackalloc float[16]; // [4, 4] tile
        new Span<float>(acc, 16).Clear();
        for (var p = 0; p < kc; p++)
        {
            for (var r = 0; r < 4; r++)
            {
                var x = a[r];
                acc[r * 4] = KernelKinds.MultiplyAdd(x, b[0], acc[r * 4]);
                acc[r * 4 + 1] = KernelKinds.MultiplyAdd(x, b[1], acc[r * 4 + 1]);
                acc[r * 4 + 2] = KernelKinds.MultiplyAdd(x, b[2], acc[r * 4 + 2]);
                acc[r * 4 + 3] = KernelKinds.MultiplyAdd(x, b[3], acc[r * 4 + 3]);
            }

            a += 4;
            b += ldb;
        }

        MergeEdge(acc, 4, c, ldc, 4, 4, addC);
    }
}
