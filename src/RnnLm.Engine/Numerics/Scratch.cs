namespace RnnLm.Engine.Numerics;

/// <summary>Scratch arrays a layer or a session keeps from call to call, replaced only when a call needs more.</summary>
internal static class Scratch
{
    /// <summary>
    /// <paramref name="buffer"/>, first replaced by a larger one (its old items not kept) when it holds fewer than
    /// <paramref name="length"/> items. The new one is at least half again as long as the old one, so that calls growing a
    /// little at a time (a corpus scored shortest sentence first) allocate and fault in fresh memory a few times, not at every call.
    /// </summary>
    public static T[] Ensure<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Grown(buffer.Length, length)];
        }

        return buffer;
    }

    /// <summary><see cref="Ensure{T}"/>, keeping what the buffer held: rows added a few at a time copy little.</summary>
    public static T[] Kept<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            Array.Resize(ref buffer, Grown(buffer.Length, length));
        }

        return buffer;
    }

    // The length a buffer of `held` items grows to when `length` are needed: half again as many, or `length` if more.
    private static int Grown(int held, int length) => Math.Max(length, (int)Math.Min(Array.MaxLength, held + (long)held / 2));

    /// <summary>The first <paramref name="length"/> items of <see cref="Ensure{T}"/>'s buffer.</summary>
    public static Span<T> Grow<T>(ref T[] buffer, int length) => Ensure(ref buffer, length).AsSpan(0, length);
}
