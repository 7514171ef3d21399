namespace RnnLm.Engine.Model;

/// <summary>
/// Assigns every word to one of C frequency classes. Because vocabulary ids run by descending count,
/// each class is a contiguous id range: class c holds ids <c>Start(c) .. Start(c + 1) - 1</c>.
/// </summary>
public sealed class ClassMap
{
    private readonly int[] _starts; // [C + 1] first id of each class, then |V|
    private readonly int[] _classOf; // [|V|]

    /// <summary>Creates a class map from the first id of each class.</summary>
    /// <exception cref="ArgumentException">The starts do not begin at 0, are not strictly increasing, or pass the vocabulary.</exception>
    public ClassMap(IReadOnlyList<int> starts, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(starts);
        if (starts.Count == 0 || starts[0] != 0)
        {
            throw new ArgumentException("The first class must start at id 0.", nameof(starts));
        }

        _starts = new int[starts.Count + 1];
        for (var c = 0; c < starts.Count; c++)
        {
            _starts[c] = starts[c];
            if (c > 0 && starts[c] <= starts[c - 1])
            {
                throw new ArgumentException("Class starts must be strictly increasing.", nameof(starts));
            }
        }

        if (starts[^1] >= vocabularySize)
        {
            throw new ArgumentException("Every class must hold at least one word.", nameof(starts));
        }

        _starts[^1] = vocabularySize;
        _classOf = new int[vocabularySize];
        for (var c = 0; c < starts.Count; c++)
        {
            _classOf.AsSpan(_starts[c], _starts[c + 1] - _starts[c]).Fill(c);
        }
    }

    public int ClassCount => _starts.Length - 1;

    public int VocabularySize => _classOf.Length;

    /// <summary>The first id of each class (without the closing |V|).</summary>
    public ReadOnlySpan<int> Starts => _starts.AsSpan(0, ClassCount);

    public int ClassOf(int word) => _classOf[word];

    public int Start(int cls) => _starts[cls];

    public int Size(int cls) => _starts[cls + 1] - _starts[cls];

    /// <summary>
    /// Splits the vocabulary into <paramref name="classCount"/> classes of about equal unigram mass,
    /// as Mikolov's rnnlm does: walking ids by descending count, a class closes once the running mass
    /// passes its share. Fewer classes result when the vocabulary is too small or too skewed.
    /// </summary>
    public static ClassMap ByFrequency(Vocabulary vocabulary, int classCount)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        var counts = vocabulary.Counts;
        double total = 0;
        foreach (var count in counts)
        {
            total += Math.Max(count, 1);
        }

        var starts = new List<int> { 0 };
        double running = 0;
        for (var id = 0; id < counts.Count; id++)
        {
            running += Math.Max(counts[id], 1);
            // Close the class once the cumulative mass passes the boundary of the next share.
            var boundary = total * starts.Count / classCount;
            if (running >= boundary && id + 1 < counts.Count && starts.Count < classCount)
            {
                starts.Add(id + 1);
            }
        }

        return new ClassMap(starts, vocabulary.Count);
    }
}
