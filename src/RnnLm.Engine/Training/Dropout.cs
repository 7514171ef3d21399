using System.Numerics;

namespace RnnLm.Engine.Training;

/// <summary>
/// Inverted dropout's masks (Srivastava et al. 2014), on the non-recurrent connections only, as Zaremba et al. (2014)
/// apply it: on e(t) going into the hidden layer and on h(t) going to the output layer. A kept unit is scaled by
/// 1 / (1 − rate) in training, so nothing changes at inference.
/// </summary>
/// <remarks>
/// Each element of a mask is a counter-based hash of (seed, epoch, step, stream, layer, unit), never a draw from a
/// generator shared by threads: a mask does not depend on which thread makes it, nor on when, nor on how the steps
/// are cut into blocks, so training with dropout stays independent of the thread count, and a test can rebuild any
/// mask to check the gradient with it.
/// </remarks>
internal sealed class Dropout
{
    /// <summary>The mask on e(t), the embedding into the hidden layer.</summary>
    public const int InputLayer = 0;

    /// <summary>The mask on h(t) on its way to the output layer.</summary>
    public const int OutputLayer = 1;

    private const ulong Golden = 0x9E3779B97F4A7C15; // 2⁶⁴/φ: consecutive counters land far apart

    private readonly ulong _key;
    private readonly ulong _threshold; // a unit is dropped when the top 32 bits of its hash are below this

    /// <param name="rate">The probability of dropping a unit, in [0, 1).</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="epoch">The epoch: each one gets masks of its own.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    public Dropout(double rate, int seed, int epoch)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A dropout rate is at least 0 and below 1.");
        }

        Rate = rate;
        _threshold = (ulong)Math.Round(rate * 4294967296.0);
        _key = Mix(Mix((ulong)(uint)seed + Golden) + (ulong)(uint)epoch);
    }

    public double Rate { get; }

    /// <summary>
    /// Writes the mask of one stream's step for a layer: 0 for a dropped unit, 1 / (1 − rate) for a kept one (rounded
    /// to <typeparamref name="T"/> from double).
    /// </summary>
    public void Fill<T>(Span<T> mask, long step, int stream, int layer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var kept = T.CreateTruncating(1 / (1 - Rate));
        var row = Mix(Mix(Mix(_key + (ulong)step) + (ulong)(uint)stream) + (ulong)(uint)layer);
        for (var unit = 0; unit < mask.Length; unit++)
        {
            mask[unit] = Mix(row + ((ulong)(uint)unit * Golden)) >> 32 < _threshold ? T.Zero : kept;
        }
    }

    // SplitMix64's finalizer: every bit of the input reaches every bit of the output.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
