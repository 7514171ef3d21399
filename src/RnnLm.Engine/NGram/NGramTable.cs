using System.Numerics;

namespace RnnLm.Engine.NGram;

/// <summary>
/// The n-grams of one order: an open-addressing table (linear probing, power-of-two size, at most three quarters full)
/// from the 64-bit hash of an n-gram's word ids to its log10 probability and back-off weight, both single precision as in
/// ARPA files (7 digits): 16 bytes a slot. Only the hash is kept, as KenLM's
/// probing structure does: two distinct n-grams sharing a hash (odds about 2⁻⁶⁴ a pair) would be refused as a duplicate.
/// A one-bit-per-hash filter of 8 bits a slot (a sixteenth of the table) answers most lookups of absent n-grams without
/// touching the table: back-off queries ask for many, and each would otherwise be a cache miss.
/// </summary>
internal sealed class NGramTable
{
    private const int InitialCapacity = 1 << 10;

    private Slot[] _slots = new Slot[InitialCapacity];
    private ulong[]? _filter; // [8 bits a slot]: the bit of every key held is set; built once all n-grams are in (Seal)

    public int Count { get; private set; }

    /// <summary>Bytes held by the table and its filter.</summary>
    public long Bytes => ((long)_slots.Length * 16) + ((long)(_filter?.Length ?? 0) * 8);

    /// <summary>Builds the filter of absent n-grams; the table takes no more n-grams after it (the model's tables are complete).</summary>
    public void Seal()
    {
        var filter = new ulong[_slots.Length / 8];
        foreach (var slot in _slots)
        {
            if (slot.Key != 0)
            {
                Mark(filter, slot.Key);
            }
        }

        _filter = filter;
    }

    /// <summary>Adds an n-gram; false when its hash is already there. Grows by doubling as entries arrive, never ahead of them.</summary>
    /// <exception cref="InvalidOperationException">The table is sealed.</exception>
    public bool TryAdd(ulong hash, float logProb, float logBackoff)
    {
        if (_filter is not null)
        {
            throw new InvalidOperationException("The table is sealed.");
        }

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
        if (_filter is { } filter && !IsMarked(filter, key))
        {
            (logProb, logBackoff) = (0, 0);
            return false;
        }

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

    // The filter's bit of a key: from its high half, which the slot index (its low bits) does not use.
    private static int BitOf(ulong[] filter, ulong key) => (int)((key >> 32) & (ulong)((filter.Length * 64) - 1));

    private static void Mark(ulong[] filter, ulong key)
    {
        var bit = BitOf(filter, key);
        filter[bit >> 6] |= 1UL << bit;
    }

    private static bool IsMarked(ulong[] filter, ulong key)
    {
        var bit = BitOf(filter, key);
        return (filter[bit >> 6] & (1UL << bit)) != 0;
    }

    private readonly record struct Slot(ulong Key, float LogProb, float LogBackoff);
}
