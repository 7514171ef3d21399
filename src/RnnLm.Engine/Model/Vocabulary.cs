using System.Collections.Frozen;

namespace RnnLm.Engine.Model;

/// <summary>
/// The words a model knows, with their training counts, in the order that gives each its id.
/// Ids run by descending count (ties by ordinal text) so that frequency classes are contiguous id ranges.
/// </summary>
/// <remarks>
/// Two entries are special: <see cref="EndOfSentence"/> (<c>&lt;/s&gt;</c>) is predicted once per sentence,
/// and <see cref="Unknown"/> (<c>&lt;unk&gt;</c>) stands for every word not in the list and is scored as an
/// ordinary word. The sentence-start context <c>&lt;s&gt;</c> is never predicted and has no entry of its own:
/// it shares the input embedding of <c>&lt;/s&gt;</c>, whose row is otherwise never used as input.
/// </remarks>
public sealed class Vocabulary
{
    public const string EndOfSentenceToken = "</s>";
    public const string UnknownToken = "<unk>";
    public const string StartOfSentenceToken = "<s>";

    /// <summary>Longest word accepted, in UTF-16 code units; longer words are treated as unknown.</summary>
    public const int MaxWordLength = 1024;

    private readonly string[] _words;
    private readonly long[] _counts;
    private readonly FrozenDictionary<string, int> _ids;

    /// <summary>Creates a vocabulary from words already in id order.</summary>
    /// <exception cref="ArgumentException">A word repeats, is empty or has white space, or either special token is missing.</exception>
    public Vocabulary(IReadOnlyList<string> words, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(counts);
        if (words.Count != counts.Count)
        {
            throw new ArgumentException("Words and counts differ in length.", nameof(counts));
        }

        _words = [.. words];
        _counts = [.. counts];
        var ids = new Dictionary<string, int>(_words.Length, StringComparer.Ordinal);
        for (var i = 0; i < _words.Length; i++)
        {
            var word = _words[i];
            if (string.IsNullOrEmpty(word) || word.Length > MaxWordLength || word.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"Vocabulary entry {i} is empty, too long or contains white space.", nameof(words));
            }

            if (!ids.TryAdd(word, i))
            {
                throw new ArgumentException($"Vocabulary entry '{word}' appears twice.", nameof(words));
            }
        }

        _ids = ids.ToFrozenDictionary(StringComparer.Ordinal);
        EndOfSentence = _ids.TryGetValue(EndOfSentenceToken, out var eos)
            ? eos
            : throw new ArgumentException($"The vocabulary has no {EndOfSentenceToken}.", nameof(words));
        Unknown = _ids.TryGetValue(UnknownToken, out var unk)
            ? unk
            : throw new ArgumentException($"The vocabulary has no {UnknownToken}.", nameof(words));
    }

    /// <summary>Number of entries, <c>&lt;/s&gt;</c> and <c>&lt;unk&gt;</c> included: the output layer's width |V|.</summary>
    public int Count => _words.Length;

    public int EndOfSentence { get; }

    public int Unknown { get; }

    /// <summary>The input id used for the sentence-start context <c>&lt;s&gt;</c>.</summary>
    public int StartOfSentence => EndOfSentence;

    public IReadOnlyList<string> Words => _words;

    public IReadOnlyList<long> Counts => _counts;

    public string this[int id] => _words[id];

    /// <summary>The id of <paramref name="word"/>, or <see cref="Unknown"/> when the word is not known.</summary>
    public int IdOf(string word) => _ids.TryGetValue(word, out var id) ? id : Unknown;

    public bool Contains(string word) => _ids.ContainsKey(word);

    /// <summary>Maps tokens to ids; unknown words become <see cref="Unknown"/>.</summary>
    public int[] Map(IReadOnlyList<string> tokens)
    {
        var ids = new int[tokens.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = IdOf(tokens[i]);
        }

        return ids;
    }

    /// <summary>
    /// Builds the vocabulary of a training text: every word seen at least <paramref name="minCount"/> times,
    /// plus <c>&lt;unk&gt;</c> (counting the occurrences of all other words) and <c>&lt;/s&gt;</c> (one per sentence).
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty or <paramref name="minCount"/> is below 1.</exception>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int minCount)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long sentenceCount = 0;
        foreach (var sentence in sentences)
        {
            sentenceCount++;
            foreach (var token in sentence)
            {
                counts[token] = counts.GetValueOrDefault(token) + 1;
            }
        }

        if (sentenceCount == 0)
        {
            throw new ArgumentException("The training text has no sentences.", nameof(sentences));
        }

        long unknownCount = 0;
        var kept = new List<KeyValuePair<string, long>>();
        foreach (var pair in counts)
        {
            var reserved = pair.Key is EndOfSentenceToken or UnknownToken or StartOfSentenceToken;
            if (pair.Value >= minCount && !reserved && pair.Key.Length <= MaxWordLength)
            {
                kept.Add(pair);
            }
            else if (pair.Key != StartOfSentenceToken && pair.Key != EndOfSentenceToken)
            {
                unknownCount += pair.Value;
            }
        }

        kept.Add(new(UnknownToken, unknownCount));
        kept.Add(new(EndOfSentenceToken, sentenceCount));
        kept.Sort(static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        return new Vocabulary([.. kept.Select(p => p.Key)], [.. kept.Select(p => p.Value)]);
    }
}
