namespace RnnLm.Data;

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
