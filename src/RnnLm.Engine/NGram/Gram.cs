namespace RnnLm.Engine.NGram;

/// <summary>
/// An n-gram of up to <see cref="MaxOrder"/> word ids packed into two 64-bit words, 21 bits an id, so that the estimator's
/// count tables key on a small value type instead of an array per n-gram.
/// </summary>
internal readonly record struct Gram(ulong Low, ulong High)
{
    public const int MaxOrder = 6;

    /// <summary>Ids must be below this to fit their 21 bits.</summary>
    public const int MaxId = (1 << Bits) - 1;

    private const int Bits = 21;
    private const int PerWord = 3;

    /// <summary>Packs <paramref name="ids"/> (1 to <see cref="MaxOrder"/> of them, each below <see cref="MaxId"/>). Ids are stored plus one so that 0 marks the end.</summary>
    public static Gram Of(ReadOnlySpan<int> ids)
    {
        ulong low = 0, high = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            var bits = (ulong)(ids[i] + 1) << (Bits * (i % PerWord));
            if (i < PerWord)
            {
                low |= bits;
            }
            else
            {
                high |= bits;
            }
        }

        return new Gram(low, high);
    }

    /// <summary>Unpacks into <paramref name="destination"/> and returns how many ids there were.</summary>
    public int CopyTo(Span<int> destination)
    {
        var length = 0;
        for (var i = 0; i < MaxOrder; i++)
        {
            var word = i < PerWord ? Low : High;
            var id = (int)((word >> (Bits * (i % PerWord))) & MaxId);
            if (id == 0)
            {
                break;
            }

            destination[length++] = id - 1;
        }

        return length;
    }

    /// <summary>
    /// Mixes all 128 bits: the compiler's default XOR-folds each word's halves, where the packed ids' bits overlap
    /// (with it, counting Brown's 5-grams took 3.2 s instead of 2.0 s).
    /// </summary>
    public override int GetHashCode()
    {
        var h = (Low * 0x9E3779B97F4A7C15UL) ^ (High * 0xC2B2AE3D27D4EB4FUL);
        return (int)((h ^ (h >> 29)) >> 32);
    }

    /// <summary>The first id.</summary>
    public int First => (int)(Low & MaxId) - 1;
}
