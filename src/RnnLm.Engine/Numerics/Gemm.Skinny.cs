namespace RnnLm.Engine.Numerics;

// The direct paths for products of at most SkinnyRows rows: no packing, B read in place.
internal static unsafe partial class Gemm
{
    private readonly partial struct Job
    {
        // Direct path for op(B) = B: B is streamed row by row (the access the prefetchers like best) and each row
        // of C is built as a running FMA chain over p in L1-sized chunks; when accumulating, the chain is kept in
        // scratch and added to C at the end, so C sees exactly one rounding, as in the packed path.
        private void SkinnyAxpy(int i0, int i1, int j0, int j1)
        {
            long rowStep = transA ? 1 : lda, colStep = transA ? lda : 1;
            var rows = i1 - i0;
            var chain = Scratch((long)rows * SkinnyChunk); // [rows, SkinnyChunk] running sums
            for (var j = j0; j < j1; j += SkinnyChunk)
            {
                var w = Math.Min(SkinnyChunk, j1 - j);
                for (var r = 0; r < rows; r++)
                {
                    new Span<float>(chain + r * SkinnyChunk, w).Clear();
                }

                var brow = b + j;
                for (var p = 0; p < k; p++, brow += ldb)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        Axpy(kind, a[(i0 + r) * rowStep + p * colStep], brow, chain + r * SkinnyChunk, w);
                    }
                }

                for (var r = 0; r < rows; r++)
                {
                    var crow = c + (long)(i0 + r) * ldc + j;
                    var sums = chain + r * SkinnyChunk;
                    if (accumulate)
                    {
                        for (var x = 0; x < w; x++)
                        {
                            crow[x] += sums[x];
                        }
                    }
                    else
                    {
                        new ReadOnlySpan<float>(sums, w).CopyTo(new Span<float>(crow, w));
                    }
                }
            }
        }

        // Direct path for op(B) = Bᵀ: every element is a dot product of two contiguous k-vectors. AVX-512 takes
        // Vector<float>'s dots (RunOnLanes): at 16 lanes the horizontal sums would cost more than they save.
        private void SkinnyDot(int i0, int i1, int j0, int j1) => KernelKinds.RunOnLanes(kind, new SkinnyDots(this, i0, i1, j0, j1));

        public void SkinnyDot<TLanes, TVector>(int i0, int i1, int j0, int j1)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            var gathered = transA ? Scratch(k) : null; // [k] column i of A made contiguous
            for (var i = i0; i < i1; i++)
            {
                float* x;
                if (transA)
                {
                    for (var p = 0; p < k; p++)
                    {
                        gathered[p] = a[(long)p * lda + i];
                    }

                    x = gathered;
                }
                else
                {
                    x = a + (long)i * lda;
                }

                var crow = c + (long)i * ldc;
                var j = j0;
                for (; j + 4 <= j1; j += 4)
                {
                    var y = b + (long)j * ldb;
                    LaneKernels.Dot4<TLanes, TVector>(x, y, y + ldb, y + 2 * ldb, y + 3 * ldb, k, out var d0, out var d1, out var d2, out var d3);
                    crow[j] = accumulate ? crow[j] + d0 : d0;
                    crow[j + 1] = accumulate ? crow[j + 1] + d1 : d1;
                    crow[j + 2] = accumulate ? crow[j + 2] + d2 : d2;
                    crow[j + 3] = accumulate ? crow[j + 3] + d3 : d3;
                }

                for (; j < j1; j++)
                {
                    var d = LaneKernels.Dot1<TLanes, TVector>(x, b + (long)j * ldb, k);
                    crow[j] = accumulate ? crow[j] + d : d;
                }
            }
        }
    }

    private readonly struct SkinnyDots(Job job, int i0, int i1, int j0, int j1) : ILanesKernel
    {
        public void Run<TLanes, TVector>()
            where TLanes : struct, ILanes<TVector>
            where TVector : struct =>
            job.SkinnyDot<TLanes, TVector>(i0, i1, j0, j1);
    }

    // y[0, w) = fma(x, row[0, w), y): one step of every element's chain; lanes and the scalar tail round alike.
    private static void Axpy(KernelKind kind, float x, float* row, float* y, int w)
    {
        if (kind == KernelKind.Avx512)
        {
            AxpyAvx512(x, row, y, w);
        }
        else
        {
            KernelKinds.RunOnLanes(kind, new LaneKernels.AxpyKernel(x, row, y, w));
        }
    }
}
