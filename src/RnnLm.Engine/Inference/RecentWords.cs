using RnnLm.Engine.Model;

namespace RnnLm.Engine.Inference;

/// <summary>
/// The last N − 1 words of a running sentence, the most recent first, then <c>&lt;s&gt;</c>, then −1: the context the
/// direct connections read (<see cref="DirectFeatures.Context"/> makes the same from a whole sentence).
/// </summary>
/// <remarks>
/// With the hidden state it is all a running state holds, and it is a plain array: a state kept from one call to the
/// next is a copy of the two.
/// </remarks>
internal sealed class RecentWords(int capacity)
{
    private readonly int[] _ids = new int[capacity]; // [N − 1]

    /// <summary>The context, the most recent word first.</summary>
    public ReadOnlySpan<int> Ids => _ids;

    /// <summary>Starts a sentence: <paramref name="start"/> (<c>&lt;s&gt;</c>) is the only context.</summary>
    public void Start(int start)
    {
        Array.Fill(_ids, -1);
        Push(start);
    }

    /// <summary>Copies these words into <paramref name="destination"/>, of the same capacity: how a running state is kept between calls.</summary>
    public void CopyTo(RecentWords destination) => _ids.CopyTo(destination._ids, 0);

    /// <summary>The word just read becomes the most recent; the oldest falls out.</summary>
    public void Push(int id)
    {
        if (_ids.Length > 0)
        {
            Array.Copy(_ids, 0, _ids, 1, _ids.Length - 1);
            _ids[0] = id;
        }
    }
}
