namespace RnnLm.Data;

/// <summary>Checks split files against their manifest and against the constants of protocol v1.</summary>
internal static class BrownVerifier
{
    /// <inheritdoc cref="BrownCorpus.Verify"/>
    public static BrownManifest Verify(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var dir = DataFiles.ToFullPath(dataDirectory);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Brown data directory not found: {dir}");
        }

        var manifest = BrownManifestFile.Read(Path.Combine(dir, BrownCorpus.ManifestFileName));
        var expected = BrownCorpus.ExpectedV1;
        if (!string.Equals(manifest.Source, expected.Source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{BrownCorpus.ManifestFileName}: source is '{manifest.Source}', protocol {BrownCorpus.ProtocolName} expects '{expected.Source}'");
        }

        if (!string.Equals(manifest.Protocol, expected.Protocol, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{BrownCorpus.ManifestFileName}: protocol is '{manifest.Protocol}', expected '{expected.Protocol}'");
        }

        VerifySplit(dir, "train", manifest.Train, expected.Train);
        VerifySplit(dir, "valid", manifest.Valid, expected.Valid);
        VerifySplit(dir, "test", manifest.Test, expected.Test);
        return manifest;
    }

    private static void VerifySplit(string dir, string split, BrownSplitInfo inManifest, BrownSplitInfo expected)
    {
        // The manifest must not be able to point Verify at some other file.
        if (!string.Equals(inManifest.File, expected.File, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{BrownCorpus.ManifestFileName}: splits.{split}.file is '{inManifest.File}', expected '{expected.File}'");
        }

        var actual = BrownSplitFile.Measure(Path.Combine(dir, expected.File));

        // Against the manifest first: if the file was edited, that is the more telling comparison.
        Compare(actual, inManifest, BrownCorpus.ManifestFileName);
        Compare(actual, expected, $"protocol {BrownCorpus.ProtocolName}");
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
}
