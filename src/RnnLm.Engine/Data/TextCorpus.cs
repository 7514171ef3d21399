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

    /// <summary>Splits lines into sentences of tokens, skipping blank lines.</summary>
    public static IReadOnlyList<string[]> Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var sentences = new List<string[]>();
        foreach (var line in lines)
        {
            var tokens = Tokens(line);
            if (tokens.Length > 0)
            {
                sentences.Add(tokens);
            }
        }

        return sentences;
    }

    /// <summary>The tokens of pre-tokenized text: split on white space, nothing else.</summary>
    public static string[] Tokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }
}
