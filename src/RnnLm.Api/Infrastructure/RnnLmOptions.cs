using System.ComponentModel.DataAnnotations;

namespace RnnLm.Api.Infrastructure;

/// <summary>How log events are written to standard output.</summary>
public enum LogFormat
{
    /// <summary>One readable line per event, for people.</summary>
    Console,

    /// <summary>Compact JSON (CLEF), one object per line, for containers and log shippers.</summary>
    Json,
}

/// <summary>The <c>RnnLm</c> configuration section (environment variables: <c>RnnLm__ModelPath</c> and so on).</summary>
public sealed class RnnLmOptions
{
    public const string Section = "RnnLm";

    /// <summary>
    /// The model file to serve. A relative path is looked up from the content root, then in each folder above it,
    /// then from the working directory, so that <c>dotnet run --project src/RnnLm.Api</c> finds the repository's models/ folder.
    /// </summary>
    [Required]
    public string ModelPath { get; set; } = "models/brown-default.rnnlm";

    /// <summary>Largest request body accepted; larger bodies get 413.</summary>
    [Range(1024, 1L << 30)]
    public long MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Most sentences one /score request may hold.</summary>
    [Range(1, 100_000)]
    public int MaxSentences { get; set; } = 256;

    /// <summary>Most tokens in one sentence (and in a /next or /generate prefix).</summary>
    [Range(1, 100_000)]
    public int MaxTokensPerSentence { get; set; } = 512;

    /// <summary>Largest <c>top</c> accepted by /next.</summary>
    [Range(1, 1_000_000)]
    public int MaxTop { get; set; } = 1000;

    /// <summary>Largest <c>maxTokens</c> accepted by /generate.</summary>
    [Range(1, 100_000)]
    public int MaxGenerateTokens { get; set; } = 200;

    public LogFormat LogFormat { get; set; } = LogFormat.Console;
}

public static class RnnLmOptionsSetup
{
    /// <summary>Binds <see cref="RnnLmOptions"/> to the <c>RnnLm</c> section and rejects bad values at start-up.</summary>
    public static IServiceCollection AddRnnLmOptions(this IServiceCollection services)
    {
        services.AddOptions<RnnLmOptions>().BindConfiguration(RnnLmOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
