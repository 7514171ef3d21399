using System.Text;

namespace RnnLm.Data;

/// <summary>The text format of a split file: UTF-8 without BOM, one sentence a line, tokens separated by single spaces, every line ending in <c>\n</c>.</summary>
internal static class BrownSplitFile
{
    // Strict so that a corrupt or wrongly-encoded download fails loudly instead of silently changing
    // tokens (and therefore the hashes). The corpus is plain ASCII, a subset of UTF-8.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes of a split file and what it holds.</summary>
    /// <exception cref="ArgumentException">A sentence is empty, or a token is empty, holds white space or cannot be written as UTF-8.</exception>
    public static (byte[] Bytes, BrownSplitInfo Info) Encode(IReadOnlyList<string[]> sentences, string fileName)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var text = new StringBuilder();
        var tokens = 0;
        for (var s = 0; s < sentences.Count; s++)
        {
            var sentence = sentences[s];
            if (sentence is null || sentence.Length == 0)
            {
                throw new ArgumentException($"{fileName}: sentence {s} is empty; an empty line would not read back as a sentence", nameof(sentences));
            }

            for (var t = 0; t < sentence.Length; t++)
            {
                var token = sentence[t];
                if (string.IsNullOrEmpty(token) || token.Any(char.IsWhiteSpace))
                {
                    throw new ArgumentException($"{fileName}: sentence {s} token {t} is empty or contains whitespace", nameof(sentences));
                }

                if (t > 0)
                {
                    text.Append(' ');
                }

                text.Append(token);
            }

            text.Append('\n');
            tokens += sentence.Length;
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(text.ToString());
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"{fileName}: a token holds an unpaired surrogate and cannot be written as UTF-8", nameof(sentences), ex);
        }

        return (bytes, new BrownSplitInfo(fileName, sentences.Count, tokens, DataFiles.Sha256Hex(bytes)));
    }

    /// <summary>Counts lines and whitespace-separated tokens and hashes the file's bytes.</summary>
    public static BrownSplitInfo Measure(string path)
    {
        var bytes = DataFiles.ReadAllBytes(path);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: not valid UTF-8 text", ex);
        }

        var sentences = 0;
        var tokens = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.IsEmpty)
            {
                continue;
            }

            sentences++;
            var inToken = false;
            foreach (var c in line)
            {
                var space = char.IsWhiteSpace(c);
                if (!space && !inToken)
                {
                    tokens++;
                }

                inToken = !space;
            }
        }

        return new BrownSplitInfo(Path.GetFileName(path), sentences, tokens, DataFiles.Sha256Hex(bytes));
    }
}
