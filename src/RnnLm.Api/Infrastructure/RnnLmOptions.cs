using System.ComponentModel.DataAnnotations;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.IO;

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

    /// <summary>
    /// The ARPA n-gram model (plain or gzip) that the model <see cref="ModelPath"/> names is interpolated with:
    /// P = λ·P_rnn + (1 − λ)·P_ngram per token on /score and /next. Resolved like <see cref="ModelPath"/>. Unset: the ARPA file
    /// beside the model with its name (<c>brown-default.arpa</c> or <c>.arpa.gz</c>), if there is one, as for trained models.
    /// </summary>
    public string? NGram { get; set; }

    /// <summary>λ, the RNN's weight in the mixture, for requests to a model that carries an n-gram and give no <c>lambda</c>.</summary>
    [Range(0.0, 1.0)]
    public double Lambda { get; set; } = Mixture.DefaultLambda;

    /// <summary>Largest request body accepted; larger bodies get 413.</summary>
    [Range(1024, 1L << 30)]
    public long MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Most sentences one /score request may hold.</summary>
    [Range(1, 100_000)]
    public int MaxSentences { get; set; } = 256;

    /// <summary>Most tokens in one sentence (and in a /next or /generate prefix).</summary>
    [Range(1, 100_000)]
    public int MaxTokensPerSentence { get; set; } = 512;

    /// <summary>Most utterances one /rescore request may hold.</summary>
    [Range(1, 100_000)]
    public int MaxRescoreUtterances { get; set; } = 1000;

    /// <summary>Most hypotheses one utterance of a /rescore request may hold.</summary>
    [Range(1, 100_000)]
    public int MaxHypothesesPerUtterance { get; set; } = 1000;

    /// <summary>Most words all the hypotheses of one /rescore request may hold together (each hypothesis also at most <see cref="MaxTokensPerSentence"/>).</summary>
    [Range(1, 10_000_000)]
    public int MaxRescoreTokens { get; set; } = 100_000;

    /// <summary>Largest <c>top</c> accepted by /next.</summary>
    [Range(1, 1_000_000)]
    public int MaxTop { get; set; } = 1000;

    /// <summary>Largest <c>alternatives</c> accepted by /score: the most probable words listed beside each token.</summary>
    [Range(1, 1_000)]
    public int MaxAlternatives { get; set; } = 20;

    /// <summary>Largest <c>maxTokens</c> accepted by /generate.</summary>
    [Range(1, 100_000)]
    public int MaxGenerateTokens { get; set; } = 200;

    public LogFormat LogFormat { get; set; } = LogFormat.Console;

    /// <summary>
    /// Where the service writes: the jobs database (<c>jobs.db</c>), each job's text and checkpoints (<c>jobs/ID/</c>),
    /// trained models with their cards (<c>models/</c>) and the id of the active model (<c>active-model.json</c>).
    /// A relative path is taken from the working directory.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = "runs/service";

    /// <summary>
    /// The key job and model-management requests must send in the <c>X-Api-Key</c> header. Unset: those endpoints answer 403.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Whether this instance runs training jobs. Off on read replicas: POST /jobs answers 503 and nothing trains.</summary>
    public bool TrainingEnabled { get; set; } = true;

    /// <summary>Most jobs waiting in the queue (the running ones not counted); a submission beyond it gets 429 with Retry-After.</summary>
    [Range(1, 10_000)]
    public int MaxQueuedJobs { get; set; } = 8;

    /// <summary>How many jobs train at the same time.</summary>
    [Range(1, 64)]
    public int ConcurrentJobs { get; set; } = 1;

    /// <summary>Longest a job may train in one run (after a restart the clock starts again); beyond it the job fails saying so.</summary>
    [Range(0.001, 100_000)]
    public double MaxJobMinutes { get; set; } = 720;

    /// <summary>Largest POST /jobs body (JSON or upload): the training text travels in it.</summary>
    [Range(1024, 1L << 32)]
    public long MaxTrainingBytes { get; set; } = 64L << 20;

    /// <summary>The built-in Brown corpus (train.txt, valid.txt) for jobs with <c>"corpus": "brown"</c>; relative paths are resolved like <see cref="ModelPath"/>.</summary>
    [Required]
    public string BrownDirectory { get; set; } = "data/brown";

    /// <summary>On a read replica (training off): how often to look for a model the trainer activated in the shared data directory; 0 turns it off.</summary>
    [Range(0, 86_400)]
    public int FollowActiveModelSeconds { get; set; } = 10;

    /// <summary>How many models besides the active one stay loaded for requests with <c>model=ID</c> (least recently used go first).</summary>
    [Range(1, 256)]
    public int MaxLoadedModels { get; set; } = 4;

    /// <summary>Most streaming sessions held at once; creating one more gets 429.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// Most memory all streaming sessions together may hold (their model states and the tokens they keep, estimated); a request
    /// that would pass it gets 429. The models the sessions pin are not counted.
    /// </summary>
    [Range(65_536, 1L << 40)]
    public long MaxSessionBytes { get; set; } = 256L << 20;

    /// <summary>Minutes a streaming session lives after its last POST; then it is gone (404).</summary>
    [Range(0.001, 525_600)]
    public double SessionIdleMinutes { get; set; } = 30;

    /// <summary>Most tokens one streaming session takes in all (prefix included); a call that would pass it gets 413.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessionTokens { get; set; } = 20_000;

    /// <summary>Most tokens one call to a streaming session sends (<c>tokens</c>, or the tokens of <c>prefix</c>); more get 413.</summary>
    [Range(1, 100_000)]
    public int MaxSessionTokensPerCall { get; set; } = 512;
}

public static class RnnLmOptionsSetup
{
    /// <summary>Binds <see cref="RnnLmOptions"/> to the <c>RnnLm</c> section and rejects bad values at start-up.</summary>
    public static IServiceCollection AddRnnLmOptions(this IServiceCollection services)
    {
        services.AddOptions<RnnLmOptions>().BindConfiguration(RnnLmOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Resolves a configured path (<see cref="RnnLmOptions.ModelPath"/>, the Brown corpus): absolute paths as they are; relative ones from the
    /// content root and each folder above it, then from the working directory and above. When none exists, the path under the content root.
    /// </summary>
    public static string Resolve(string configured, string contentRoot) =>
        RepoPaths.Find(configured, contentRoot, Directory.GetCurrentDirectory()) ?? Path.GetFullPath(Path.Combine(contentRoot, configured));
}
