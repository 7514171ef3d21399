using System.Numerics;

namespace RnnLm.Engine.NGram;

/// <summary>
/// The n-grams of one order: an open-addressing table (linear probing, power-of-two size, at most three quarters full)
/// from the 64-bit hash of an n-gram's word ids to its log10 probability and back-off weight, both single precision as in
/// ARPA files (7 digits): 16 bytes a slot. Only the hash is kept, as KenLM's
/// probing structure does: two distinct n-grams sharing a hash (odds about 2⁻⁶⁴ a pair) would be refused as a duplicate.
/// </summary>
internal sealed class NGramTable
{
    private const int InitialCapacity = 1 << 10;

    private Slot[] _slots = new Slot[InitialCapacity];

    public int Count { get; private set; }

    /// <summary>Bytes held by the table.</summary>
    public long Bytes => (long)_slots.Length * 16;

    /// <summary>Adds an n-gram; false when its hash is already there. Grows by doubling as entries arrive, never ahead of them.</summary>
    public bool TryAdd(ulong hash, float logProb, float logBackoff)
    {
        if ((Count + 1) * 4L > _slots.Length * 3L)
        {
            Grow();
        }

        var key = hash == 0 ? 1 : hash;
        var mask = _slots.Length - 1;
        for (var i = (int)(key & (ulong)mask); ; i = (i + 1) & mask)
        {
            if (_slots[i].Key == key)
            {
                return false;
            }

            if (_slots[i].Key == 0)
            {
                _slots[i] = new Slot(key, logProb, logBackoff);
                Count++;
                return true;
            }
        }
    }

    /// <summary>Finds an n-gram by hash without allocating.</summary>
    public bool TryGet(ulong hash, out float logProb, out float logBackoff)
    {
        var key = hash == 0 ? 1 : hash;
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = (int)(key & (ulong)mask); ; i = (i + 1) & mask)
        {
            ref readonly var slot = ref slots[i];
            if (slot.Key == key)
            {
                (logProb, logBackoff) = (slot.LogProb, slot.LogBackoff);
                return true;
            }

            if (slot.Key == 0)
            {
                (logProb, logBackoff) = (0, 0);
                return false;
            }
        }
    }

    /// <summary>The hash of an id sequence: each id mixed in, then a final avalanche (MurmurHash3's 64-bit finaliser).</summary>
    public static ulong Hash(ReadOnlySpan<int> ids, int last)
    {
        var h = Seed;
        foreach (var id in ids)
        {
            h = Mix(h, id);
        }

        return Finish(Mix(h, last));
    }

    /// <summary>The state before any id: <see cref="Hash(ReadOnlySpan{int}, int)"/> is Finish(Mix(... Mix(Seed, first) ..., last)).</summary>
    public const ulong Seed = 0x9E3779B97F4A7C15UL;

    /// <summary>Mixes one more id into a hash state.</summary>
    public static ulong Mix(ulong h, int id) => BitOperations.RotateLeft((h ^ (uint)id) * 0xBF58476D1CE4E5B9UL, 27);

    /// <summary>The final avalanche that turns a state into a key.</summary>
    public static ulong Finish(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 33);
    }

    /// <summary>The hash of <c>ids[..^1]</c> followed by <c>ids[^1]</c>.</summary>
    public static ulong Hash(ReadOnlySpan<int> ids) => Hash(ids[..^1], ids[^1]);

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Key != 0)
            {
                var i = (int)(slot.Key & (ulong)mask);
                while (_slots[i].Key != 0)
                {
                    i = (i + 1) & mask;
                }

                _slots[i] = slot;
            }
        }
    }

    private readonly record struct Slot(ulong Key, float LogProb, float LogBackoff);
}
