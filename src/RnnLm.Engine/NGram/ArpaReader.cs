using System.Globalization;
using System.IO.Compression;
using RnnLm.Engine.Model;

namespace RnnLm.Engine.NGram;

/// <summary>
/// Reads an ARPA back-off model, as KenLM, SRILM or <see cref="ArpaWriter"/> write it, plain or gzip-compressed (told by
/// its first bytes, not its name), into an <see cref="NGramModel"/>.
/// </summary>
/// <remarks>
/// The header's counts are checked against the sections but never trusted for memory: tables grow as n-grams are actually
/// read, and a section that runs past its count stops at the first extra line. Any text before <c>\data\</c> is ignored,
/// as SRILM allows. Fields are separated by tabs or spaces.
/// </remarks>
public static class ArpaReader
{
    /// <summary>Highest order read.</summary>
    public const int MaxOrder = 9;

    /// <summary>Most n-grams of one order: the tables hold at most 2³⁰ slots, three quarters full.</summary>
    public const long MaxCount = 3L << 28;

    /// <summary>Reads the model in <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ArpaFormatException">A line is malformed, a section missing or a count wrong: the message gives the line and why.</exception>
    public static NGramModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ARPA file '{path}' does not exist.", path);
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        return Read(reader, path);
    }

    /// <summary>Reads a model from <paramref name="reader"/>; <paramref name="name"/> is used in error messages.</summary>
    /// <exception cref="ArpaFormatException">As for <see cref="Read(string)"/>.</exception>
    public static NGramModel Read(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var lines = new LineSource(reader, name);
        string? line;
        while ((line = lines.Next()) is not null && line.Trim() != @"\data\")
        {
        }

        if (line is null)
        {
            throw lines.Error(@"no \data\ line: this is not an ARPA file");
        }

        var counts = Header(lines);
        var words = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var tables = new NGramTable[counts.Count];
        for (var n = 1; n <= counts.Count; n++)
        {
            line = lines.NextNonBlank();
            if (line?.Trim() != $@"\{n}-grams:")
            {
                throw lines.Error($@"expected the \{n}-grams: section, found {Describe(line)}");
            }

            tables[n - 1] = Section(lines, n, counts[n - 1], words, ids);
        }

        line = lines.NextNonBlank();
        if (line?.Trim() != @"\end\")
        {
            throw lines.Error($@"expected \end\ after the {counts.Count}-grams, found {Describe(line)}");
        }

        return new NGramModel([.. words], tables);
    }

    /// <summary>The <c>ngram n=count</c> lines: orders 1, 2, … in turn, up to the first blank line.</summary>
    private static List<long> Header(LineSource lines)
    {
        var counts = new List<long>();
        string? line;
        while ((line = lines.Next()) is not null && line.Trim().Length > 0)
        {
            var text = line.Trim();
            var equals = text.IndexOf('=');
            if (!text.StartsWith("ngram ", StringComparison.Ordinal) || equals < 0
                || !int.TryParse(text.AsSpan(6, equals - 6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var order)
                || !long.TryParse(text.AsSpan(equals + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                throw lines.Error($"expected 'ngram N=count' in the header, found {Describe(line)}");
            }

            if (order != counts.Count + 1)
            {
                throw lines.Error($"the header gives order {order} where order {counts.Count + 1} comes next");
            }

            if (order > MaxOrder || count > MaxCount)
            {
                throw lines.Error($"order {order} with {count:N0} n-grams is beyond this reader (at most order {MaxOrder}, {MaxCount:N0} n-grams an order)");
            }

            counts.Add(count);
        }

        return counts.Count > 0 ? counts : throw lines.Error(@"the \data\ header lists no 'ngram N=count' line");
    }

    /// <summary>One <c>\n-grams:</c> section, up to a blank line or the next <c>\</c> line; the unigrams also give the words their ids.</summary>
    private static NGramTable Section(LineSource lines, int n, long declared, List<string> words, Dictionary<string, int> ids)
    {
        var table = new NGramTable();
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<int> gram = stackalloc int[MaxOrder];
        Span<Range> fields = stackalloc Range[MaxOrder + 3];
        string? line;
        while ((line = lines.Peek()) is not null && line.Trim().Length > 0 && !line.TrimStart().StartsWith('\\'))
        {
            lines.Next();
            if (table.Count == declared)
            {
                throw lines.Error($"the {n}-grams section has more entries than the header's {declared:N0}");
            }

            var text = line.AsSpan();
            var fieldCount = text.SplitAny(fields, " \t", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fieldCount != n + 1 && fieldCount != n + 2)
            {
                throw lines.Error($"a {n}-gram line needs a log10 probability, {n} word{(n > 1 ? "s" : "")} and an optional back-off weight; found {Describe(line)}");
            }

            var logProb = Number(lines, text[fields[0]], probability: true);
            var logBackoff = fieldCount == n + 2 ? Number(lines, text[fields[n + 1]], probability: false) : 0;
            for (var i = 0; i < n; i++)
            {
                var word = text[fields[i + 1]];
                if (n == 1)
                {
                    var id = words.Count;
                    if (!lookup.TryAdd(word, id))
                    {
                        throw lines.Error($"the unigram '{word}' appears twice");
                    }

                    words.Add(word.ToString());
                    gram[0] = id;
                }
                else if (!lookup.TryGetValue(word, out gram[i]))
                {
                    throw lines.Error($"the word '{word}' of this {n}-gram has no unigram");
                }
            }

            if (!table.TryAdd(NGramTable.Hash(gram[..n]), logProb, logBackoff))
            {
                throw lines.Error($"this {n}-gram appears twice");
            }
        }

        if (table.Count != declared)
        {
            throw lines.Error($"the {n}-grams section has {table.Count:N0} entries but the header says {declared:N0}");
        }

        return table;
    }

    /// <summary>A log10 figure; a probability must be at most 0 (p ≤ 1) and may be <c>-inf</c>, as some tools write for p = 0.</summary>
    private static float Number(LineSource lines, ReadOnlySpan<char> text, bool probability)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
        {
            return !probability || value <= 0 ? value : throw lines.Error($"the log10 probability {text} is above 0 (a probability above 1)");
        }

        if (probability && text.Equals("-inf", StringComparison.OrdinalIgnoreCase))
        {
            return float.NegativeInfinity;
        }

        throw lines.Error($"'{text}' is not a valid log10 {(probability ? "probability" : "back-off weight")}");
    }

    private static string Describe(string? line) => line is null ? "the end of the file" : $"'{(line.Length > 60 ? line[..60] + "…" : line)}'";

    /// <summary>Lines with their numbers, with one line of look-ahead.</summary>
    private sealed class LineSource(TextReader reader, string name)
    {
        private string? _peeked;
        private bool _hasPeeked;

        public long Number { get; private set; }

        public string? Peek()
        {
            if (!_hasPeeked)
            {
                _peeked = reader.ReadLine();
                _hasPeeked = true;
            }

            return _peeked;
        }

        public string? Next()
        {
            var line = Peek();
            _hasPeeked = false;
            if (line is not null)
            {
                Number++;
            }

            return line;
        }

        public string? NextNonBlank()
        {
            string? line;
            while ((line = Next()) is not null && line.Trim().Length == 0)
            {
            }

            return line;
        }

        public ArpaFormatException Error(string reason) => new(name, Math.Max(Number, 1), reason);
    }
}
