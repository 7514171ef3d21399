namespace RnnLm.Engine.Data;

/// <summary>Reads tokenized text: one sentence a line, tokens separated by white space, blank lines skipped.</summary>
public static class TextCorpus
{
    /// <summary>Reads every sentence of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file holds no sentence.</exception>
    public static IReadOnlyList<string[]> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Text file '{path}' does not exist.", path);
        }

        var sentences = Parse(File.ReadLines(path));
        return sentences.Count > 0 ? sentences : throw new InvalidDataException($"Text file '{path}' holds no sentence.");
    }

    /// <summary>
    /// Splits lines into sentences of tokens, skipping blank lines. Equal tokens are one string instance: a corpus
    /// holds a string per distinct word, not per token, so reading it leaves little for the collector to copy.
    /// </summary>
    public static IReadOnlyList<string[]> Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var distinct = new Dictionary<string, string>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        var sentences = new List<string[]>();
        foreach (var line in lines)
        {
            var tokens = Split(line, distinct);
            if (tokens.Length > 0)
            {
                sentences.Add(tokens);
            }
        }

        return sentences;
    }

    /// <summary>The tokens of pre-tokenized text: split on white space (<see cref="char.IsWhiteSpace(char)"/>), nothing else.</summary>
    public static string[] Tokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    // Tokens(text), each taken from (or added to) the distinct strings seen so far.
    private static string[] Split(string text, Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> distinct)
    {
        var span = text.AsSpan();
        var count = 0;
        for (var i = 0; i < span.Length;)
        {
            i = SkipSpace(span, i);
            if (i < span.Length)
            {
                count++;
                i = SkipWord(span, i);
            }
        }

        if (count == 0)
        {
            return [];
        }

        var tokens = new string[count];
        for (int i = 0, k = 0; k < count; k++)
        {
            var start = SkipSpace(span, i);
            i = SkipWord(span, start);
            var word = span[start..i];
            if (!distinct.TryGetValue(word, out var token))
            {
                token = word.ToString();
                distinct[word] = token;
            }

            tokens[k] = token;
        }

        return tokens;
    }

    private static int SkipSpace(ReadOnlySpan<char> span, int i)
    {
        while (i < span.Length && char.IsWhiteSpace(span[i]))
        {
            i++;
        }

        return i;
    }

    private static int SkipWord(ReadOnlySpan<char> span, int i)
    {
        while (i < span.Length && !char.IsWhiteSpace(span[i]))
        {
            i++;
        }

        return i;
    }
}
