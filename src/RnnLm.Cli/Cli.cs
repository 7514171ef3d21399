using System.CommandLine;
using RnnLm.Engine;
using RnnLm.Engine.Inference;
using RnnLm.Engine.IO;

namespace RnnLm.Cli;

/// <summary>Pieces every command shares.</summary>
internal static class Cli
{
    /// <summary>The shipped model, found from the working directory or from the program's own location.</summary>
    public const string DefaultModel = "models/brown-default.rnnlm";

    public static Option<string> ModelOption() => new("--model", "-m")
    {
        Description = $"Model file (default: {DefaultModel}, looked up from the current directory upwards)",
        DefaultValueFactory = _ => DefaultModel,
    };

    public static Option<bool> JsonOption() => new("--json")
    {
        Description = "End with one JSON object on standard output (progress goes to standard error)",
    };

    public static Option<int> ThreadsOption(int fallback) => new("--threads")
    {
        Description = "Threads to use",
        DefaultValueFactory = _ => fallback,
    };

    public static LanguageModel LoadModel(string path) => ModelFile.Load(Locate(path));

    /// <summary>A relative path is looked for here and in each folder above, then beside the program and above; as given when found nowhere.</summary>
    public static string Locate(string path) => RepoPaths.Find(path, Directory.GetCurrentDirectory(), AppContext.BaseDirectory) ?? path;

    /// <summary>The line <c>eval</c> and <c>ngram-eval</c> print for a text's score.</summary>
    public static string Describe(CorpusScore score) =>
        $"perplexity {score.Perplexity:F2} over {score.Tokens:N0} tokens ({score.Sentences:N0} sentences, {score.UnknownTokens:N0} <unk>)";

    /// <summary>The JSON figures of a text's score that <c>eval</c> and <c>ngram-eval</c> share; each adds its own after them.</summary>
    public static Dictionary<string, object> Figures(CorpusScore score, double seconds) => new()
    {
        ["perplexity"] = Math.Round(score.Perplexity, 4),
        ["tokens"] = score.Tokens,
        ["sentences"] = score.Sentences,
        ["unknownTokens"] = score.UnknownTokens,
        ["logProb"] = score.LogProb,
        ["crossEntropyNats"] = score.CrossEntropy,
        ["crossEntropyBits"] = score.CrossEntropy / Math.Log(2),
        ["seconds"] = Math.Round(seconds, 3),
        ["tokensPerSecond"] = Math.Round(score.Tokens / seconds),
    };

    public static bool IsUserError(Exception e) => e is ModelFormatException or IOException or UnauthorizedAccessException
        or ArgumentException or InvalidDataException or FormatException or CliException or System.Text.Json.JsonException;

    public static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");
}

/// <summary>A mistake in what the user asked for, reported as one line.</summary>
internal sealed class CliException(string message) : Exception(message);
