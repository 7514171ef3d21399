using System.Numerics;
using System.Runtime.InteropServices;

namespace RnnLm.Engine.Numerics;

// Products whose rows get the same bits however many rows share the call: the output layer's logits, so that a sentence
// scored whole (/score, many rows) and a stream fed one token at a time (one row a call) agree to the last bit.
internal static partial class Gemm
{
    // [SkinnyRows + 1, k] op(A)'s rows padded with zeros, and [SkinnyRows + 1, n] their products; per thread.
    [ThreadStatic]
    private static float[]? t_paddedA;

    [ThreadStatic]
    private static float[]? t_paddedC;

    /// <summary>
    /// <see cref="Multiply{T}"/> with op(A) = A, where each row of C gets the bits of the packed path whatever
    /// <paramref name="m"/> is: a product of at most <see cref="SkinnyRows"/> rows, which <see cref="Multiply{T}"/> would
    /// send down the direct path (another order of summation), is padded with zero rows past that bound. So a row's result
    /// does not depend on the rows beside it, as with <see cref="AddRowProducts(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, int, int, int)"/>.
    /// Other element types than <see langword="float"/> take <see cref="Multiply{T}"/>'s plain path, which goes row by row.
    /// </summary>
    /// <remarks>Costs a copy of the few rows and, with op(B) = Bᵀ, the packing of B that the direct path saves.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Multiply{T}"/>.</exception>
    /// <exception cref="ArgumentException">As <see cref="Multiply{T}"/>.</exception>
    public static void MultiplyRowStable<T>(ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, bool transB,
                                            Span<T> c, int ldc, int m, int n, int k, bool accumulate, int threads = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) || m == 0 || m > SkinnyRows)
        {
            Multiply(a, lda, false, b, ldb, transB, c, ldc, m, n, k, accumulate, threads);
            return;
        }

        Validate(a, lda, false, b, ldb, transB, c, ldc, m, n, k);
        const int rows = SkinnyRows + 1;
        var paddedA = Padded(ref t_paddedA, rows * k);
        var paddedC = Padded(ref t_paddedC, rows * n);
        paddedA.Clear();
        var af = MemoryMarshal.Cast<T, float>(a);
        var cf = MemoryMarshal.Cast<T, float>(c);
        for (var i = 0; i < m; i++)
        {
            af.Slice(i * lda, k).CopyTo(paddedA.Slice(i * k, k));
            if (accumulate)
            {
                cf.Slice(i * ldc, n).CopyTo(paddedC.Slice(i * n, n));
            }
        }

        Multiply(paddedA, k, false, MemoryMarshal.Cast<T, float>(b), ldb, transB, paddedC, n, rows, n, k, accumulate, threads);
        for (var i = 0; i < m; i++)
        {
            paddedC.Slice(i * n, n).CopyTo(cf.Slice(i * ldc, n));
        }
    }

    private static Span<float> Padded(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer.AsSpan(0, length);
    }
}
