using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;

namespace RnnLm.Engine.Model;

/// <summary>
/// The maximum-entropy direct connections (Mikolov's RNNME): hashed n-gram features of the context, each adding a
/// learned weight from the table D (<see cref="Parameters{T}.Direct"/>) to every output's score.
/// </summary>
/// <remarks>
/// <para>
/// A prediction's context is the words before it in its sentence, the most recent first, then <c>&lt;s&gt;</c>, and
/// nothing before that: features never cross a sentence start. It is held as N − 1 ids with −1 where the context is
/// shorter. Order N gives the features n = 0..N − 1 of the n most recent context words (n = 0, context-free, is the same
/// for every prediction), feature n only when the context holds n words.
/// </para>
/// <para>
/// Feature n has a 64-bit key made from n and its n words by integer arithmetic alone (splitmix64's mixing function), so
/// it is the same on every machine and in every process; it is part of the model format. The feature's weights for the
/// C classes are a run of C consecutive entries of D (modulo its size) from a start hashed from the key with one salt;
/// its weights for the words of class c are a run of |c| entries from a start hashed from the key, c and another salt
/// (a full softmax is one class of all |V| words). Runs make the scores and the update contiguous vector work; the two
/// salts keep class and word entries from coinciding but by chance, anywhere in the table.
/// </para>
/// </remarks>
internal static class DirectFeatures
{
    private const ulong Golden = 0x9E3779B97F4A7C15; // 2⁶⁴ / φ: spreads small integers over the 64 bits
    private const ulong ClassSalt = 0x5A17C1A55E5A17C1;
    private const ulong WordSalt = 0x3D0A1B2C4E5F6071;

    /// <summary>
    /// Writes the context of the prediction of <c>sentence[position]</c> into <paramref name="context"/> ([N − 1]): the
    /// words before it, the most recent first, then <paramref name="start"/> (<c>&lt;s&gt;</c>), then −1.
    /// </summary>
    public static void Context(ReadOnlySpan<int> sentence, int position, int start, Span<int> context)
    {
        for (var j = 0; j < context.Length; j++)
        {
            var at = position - 1 - j;
            context[j] = at >= 0 ? sentence[at] : at == -1 ? start : -1;
        }
    }

    /// <summary>
    /// Writes the keys of the features of <paramref name="context"/> ([N − 1], as <see cref="Context"/> makes it) into
    /// <paramref name="keys"/> ([N]) and returns how many there are: 1 and one per context word, at most N.
    /// </summary>
    public static int Keys(ReadOnlySpan<int> context, Span<ulong> keys)
    {
        var chain = 0UL;
        keys[0] = Key(chain, 0);
        var n = 1;
        for (; n < keys.Length && context[n - 1] >= 0; n++)
        {
            chain = Mix(chain + (Golden * ((ulong)context[n - 1] + 1)));
            keys[n] = Key(chain, n);
        }

        return n;
    }

    /// <summary>Where the run of a feature's class weights starts in a table of <paramref name="size"/> entries.</summary>
    public static int ClassStart(ulong key, int size) => Reduce(Mix(key ^ ClassSalt), size);

    /// <summary>Where the run of a feature's weights for the words of class <paramref name="cls"/> starts (class 0 for a full softmax).</summary>
    public static int WordStart(ulong key, int cls, int size) => Reduce(Mix(Mix(key ^ WordSalt) + (Golden * ((ulong)cls + 1))), size);

    /// <summary>The entry of D that feature <paramref name="key"/> adds to class <paramref name="cls"/>'s score.</summary>
    public static int ClassIndex(ulong key, int cls, int size) => (int)(((long)ClassStart(key, size) + cls) % size);

    /// <summary>The entry of D that feature <paramref name="key"/> adds to the score of the word <paramref name="offset"/> places into class <paramref name="cls"/>.</summary>
    public static int WordIndex(ulong key, int cls, int offset, int size) => (int)(((long)WordStart(key, cls, size) + offset) % size);

    /// <summary><c>scores[i] += table[(start + i) mod |table|]</c>: a feature's run of weights added to a row of scores.</summary>
    public static void Add<T>(ReadOnlySpan<T> table, int start, Span<T> scores)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        while (!scores.IsEmpty)
        {
            var length = Math.Min(scores.Length, table.Length - start);
            TensorPrimitives.Add(scores[..length], table.Slice(start, length), scores[..length]);
            scores = scores[length..];
            start = 0;
        }
    }

    /// <summary>
    /// Asks for the cache lines of the first <paramref name="length"/> entries of each run of <paramref name="starts"/>
    /// (up to <see cref="PrefetchEntries"/> of a run, where the hardware's own prefetching of a stream has taken over),
    /// so that an <see cref="Add{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T})"/> of them a little later does not wait
    /// on memory: D is far larger than the caches, and its runs are where hashing put them. Changes no value.
    /// </summary>
    public static unsafe void Prefetch<T>(ReadOnlySpan<T> table, ReadOnlySpan<int> starts, int length)
        where T : unmanaged
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var entries = Math.Min(length, PrefetchEntries);
        fixed (T* first = table)
        {
            foreach (var start in starts)
            {
                // A run that wraps round the table's end is taken up to the end.
                var end = (byte*)(first + Math.Min(start + entries, table.Length));
                for (var line = (byte*)(first + start); line < end; line += 64)
                {
                    Sse.Prefetch0(line);
                }

                Sse.Prefetch0(end - 1);
            }
        }
    }

    /// <summary>How many entries of a run <see cref="Prefetch"/> asks for at most: 4 KB of float weights.</summary>
    public const int PrefetchEntries = 1_024;

    /// <summary>
    /// <c>scores[i] += table[(starts[k] + i) mod |table|]</c> for each run k in turn: every feature's run of weights
    /// added to a row of scores, in one pass over it when no run wraps round the table's end (the same bits as one
    /// <see cref="Add{T}(ReadOnlySpan{T}, int, Span{T})"/> after another).
    /// </summary>
    public static void Add<T>(ReadOnlySpan<T> table, ReadOnlySpan<int> starts, Span<T> scores)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var start in starts)
        {
            if (start > table.Length - scores.Length)
            {
                foreach (var each in starts)
                {
                    Add(table, each, scores);
                }

                return;
            }
        }

        var j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; j + Vector<T>.Count <= scores.Length; j += Vector<T>.Count)
            {
                var sum = new Vector<T>(scores[j..]);
                foreach (var start in starts)
                {
                    sum += new Vector<T>(table[(start + j)..]);
                }

                sum.CopyTo(scores[j..]);
            }
        }

        for (; j < scores.Length; j++)
        {
            var sum = scores[j];
            foreach (var start in starts)
            {
                sum += table[start + j];
            }

            scores[j] = sum;
        }
    }

    /// <summary>
    /// <c>table[k] += gradient[i] − decay·table[k]</c> for k = (start + i) mod |table|, i in order: a run's update
    /// with the L2 decay of every use, as rnnlm applies it to its direct connections.
    /// </summary>
    public static void Update<T>(Span<T> table, int start, ReadOnlySpan<T> gradient, T decay)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(table, start, gradient, decay, 0, table.Length);

    /// <summary>
    /// <see cref="Update{T}(Span{T}, int, ReadOnlySpan{T}, T)"/> on the entries [<paramref name="from"/>, <paramref name="to"/>)
    /// of the table only: threads that take disjoint slices of it, each all runs in one order, give the bits of one thread.
    /// </summary>
    public static void Update<T>(Span<T> table, int start, ReadOnlySpan<T> gradient, T decay, int from, int to)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var offset = 0; offset < gradient.Length; start = 0)
        {
            var length = Math.Min(gradient.Length - offset, table.Length - start); // entries [start, start + length)
            var (low, high) = (Math.Max(start, from), Math.Min(start + length, to));
            if (low < high)
            {
                Step(table[low..high], gradient.Slice(offset + low - start, high - low), decay);
            }

            offset += length;
        }
    }

    // weights += gradient − decay·weights, element by element; the vector lanes and the scalar tail do the same
    // arithmetic (no fused multiply-add), so a run gives the same bits wherever it is split.
    private static void Step<T>(Span<T> weights, ReadOnlySpan<T> gradient, T decay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (decay == T.Zero)
        {
            TensorPrimitives.Add(weights, gradient, weights);
            return;
        }

        var j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var d = new Vector<T>(decay);
            for (; j + Vector<T>.Count <= weights.Length; j += Vector<T>.Count)
            {
                var w = new Vector<T>(weights[j..]);
                (w + (new Vector<T>(gradient[j..]) - (d * w))).CopyTo(weights[j..]);
            }
        }

        for (; j < weights.Length; j++)
        {
            weights[j] += gradient[j] - (decay * weights[j]);
        }
    }

    // The key of feature n from the chain over its n words.
    private static ulong Key(ulong chain, int n) => Mix(chain + (Golden * (ulong)(n + 1)));

    // splitmix64's finaliser: a bijection on 64 bits that spreads every input bit over the output.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    // ⌊x · size / 2⁶⁴⌋: a 64-bit hash onto [0, size) by its high bits, without a division.
    private static int Reduce(ulong x, int size) => (int)Math.BigMul(x, (ulong)size, out _);
}
