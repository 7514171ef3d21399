using System.Buffers;
using System.Numerics;

namespace RnnLm.Engine.Numerics;

// The plain path for element types other than float (double-precision gradient checks).
internal static unsafe partial class Gemm
{
    // Plain row-by-row product for non-float T; each row of C is independent, so rows can go to any thread.
    private readonly struct GenericJob<T>(T* a, int lda, bool transA, T* b, int ldb, bool transB,
                                          T* c, int ldc, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void RunParallel(GenericJob<T> job, int m, int parts) =>
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
                         t => job.Rows((int)((long)m * t / parts), (int)((long)m * (t + 1) / parts)));

        public void Rows(int i0, int i1)
        {
            var column = transA && transB ? ArrayPool<T>.Shared.Rent(k) : null; // [k] column i of A made contiguous
            try
            {
                for (var i = i0; i < i1; i++)
                {
                    if (transB)
                    {
                        DotRow(i, column);
                    }
                    else
                    {
                        AxpyRow(i);
                    }
                }
            }
            finally
            {
                if (column is not null)
                {
                    ArrayPool<T>.Shared.Return(column);
                }
            }
        }

        private static int Lanes => Vector.IsHardwareAccelerated && Vector<T>.IsSupported ? Vector<T>.Count : 0;

        private void AxpyRow(int i)
        {
            var v = Lanes;
            var crow = c + (long)i * ldc;
            if (!accumulate)
            {
                new Span<T>(crow, n).Clear();
            }

            for (var p = 0; p < k; p++)
            {
                var x = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                var brow = b + (long)p * ldb;
                var j = 0;
                if (v > 0)
                {
                    var xv = new Vector<T>(x);
                    for (; j + v <= n; j += v)
                    {
                        (Vector.Load(crow + j) + xv * Vector.Load(brow + j)).Store(crow + j);
                    }
                }

                for (; j < n; j++)
                {
                    crow[j] += x * brow[j];
                }
            }
        }

        private void DotRow(int i, T[]? column)
        {
            var v = Lanes;
            var crow = c + (long)i * ldc;
            ReadOnlySpan<T> arow;
            if (column is not null)
            {
                for (var p = 0; p < k; p++)
                {
                    column[p] = a[(long)p * lda + i];
                }

                arow = column.AsSpan(0, k);
            }
            else
            {
                arow = new ReadOnlySpan<T>(a + (long)i * lda, k);
            }

            for (var j = 0; j < n; j++)
            {
                var brow = new ReadOnlySpan<T>(b + (long)j * ldb, k);
                var sum = T.Zero;
                var p = 0;
                if (v > 0)
                {
                    var acc = Vector<T>.Zero;
                    for (; p + v <= k; p += v)
                    {
                        acc += new Vector<T>(arow[p..]) * new Vector<T>(brow[p..]);
                    }

                    sum = Vector.Sum(acc);
                }

                for (; p < k; p++)
                {
                    sum += arow[p] * brow[p];
                }

                crow[j] = accumulate ? crow[j] + sum : sum;
            }
        }
    }
}
