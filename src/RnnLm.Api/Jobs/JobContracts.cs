using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine.Training;

namespace RnnLm.Api.Jobs;

/// <summary>Where a job stands.</summary>
public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>What a job does with its model once trained.</summary>
public enum PromotionMode
{
    /// <summary>Register the model only; activate it yourself with POST /models/{id}/activate.</summary>
    Never,

    /// <summary>Activate it when its perplexity on the job's validation text beats the active model's on the same text.</summary>
    IfBetter,

    /// <summary>Activate it whatever its perplexity.</summary>
    Always,
}

[Description("A training job: the text to train on, the trainer's settings, and what to do with the model. Send it as JSON, or as multipart/form-data "
    + "with the training text as a file field `train` (one tokenized sentence a line), optionally a file field `valid`, and these settings as a JSON field `settings`.")]
public sealed record JobRequest : IDocumentedExample<JobRequest>
{
    [Description("A name for people, up to 100 characters; the model gets the job's id.")]
    [DefaultValue("my first model")]
    public string? Name { get; init; }

    [Description("Train on a built-in corpus instead of sent text: \"brown\" (Brown protocol v1: data/brown train.txt, validated on valid.txt).")]
    public string? Corpus { get; init; }

    [Description("The training text: one sentence a string, tokens separated by spaces (as data/brown/train.txt). Use this or `corpus`.")]
    public IReadOnlyList<string>? Train { get; init; }

    [Description("Validation text in the same form, for the learning-rate schedule (and for promote: ifBetter). Use this or `validFraction`.")]
    public IReadOnlyList<string>? Valid { get; init; }

    [Description("Hold out this fraction of the training sentences (chosen by the seed) for validation, when no `valid` text is sent. Default 0.1.")]
    public double? ValidFraction { get; init; }

    [Description("Start from a named recipe of training settings; the settings sent apply on top of it. \"default\" is the defaults shown here "
        + "(the shipped Elman model's recipe); \"brown-default\", \"brown-best\" and \"brown-elman\" the shipped models' exact commands; \"rnnlm\" Mikolov's rnnlm 0.4b; \"bench\" rnnlm bench's.")]
    [DefaultValue("default")]
    public string? Preset { get; init; }

    /// <summary>
    /// The training settings sent (hidden, alpha, ...): every field that is not one of the job's own. Their names, limits,
    /// defaults and descriptions are the engine's <see cref="TrainingSettings"/>; <see cref="JobSettingsReader"/> checks them
    /// and the OpenAPI document lists them (<see cref="TrainingSettingsSchemaFilter"/>).
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Settings { get; init; }

    [Description("\"never\" (default), \"ifBetter\" (activate when its validation perplexity beats the active model's on the same text) or \"always\".")]
    [DefaultValue(PromotionMode.Never)]
    public PromotionMode Promote { get; init; } = PromotionMode.Never;

    public static JobRequest Example => new()
    {
        Name = "tiny example",
        Train = ["the cat sat on the mat .", "the dog sat on the log .", "a cat saw a dog .", "the dog saw the cat on the mat ."],
        Valid = ["the cat sat on the log ."],
        Settings = new()
        {
            ["hidden"] = JsonSerializer.SerializeToElement(16),
            ["classes"] = JsonSerializer.SerializeToElement(4),
            ["maxEpochs"] = JsonSerializer.SerializeToElement(3),
            ["minCount"] = JsonSerializer.SerializeToElement(1),
        },
    };
}

[Description("Training progress: the current epoch and, for every finished one, the validation perplexity.")]
public sealed record JobProgress(
    [property: Description("The epoch running (1-based), or the last one finished.")] int Epoch,
    [property: Description("Fraction of this epoch's training words done, 0 to 1.")] double Fraction,
    [property: Description("Training words per second over this epoch.")] double WordsPerSecond,
    [property: Description("Mean −log2 P over this epoch's training words so far, in bits.")] double TrainEntropy,
    [property: Description("The learning rate now.")] double Alpha,
    [property: Description("Validation perplexity after each finished epoch.")] IReadOnlyList<double> ValidPerplexity,
    [property: Description("Estimated seconds to the end of this epoch.")] double EtaSeconds,
    [property: Description("When this progress was reported (UTC).")] DateTimeOffset UpdatedUtc,
    [property: Description("Training perplexity of each finished epoch, over its own pass: 2^trainEntropy of its last report. Null in records from before it was kept.")]
    IReadOnlyList<double>? TrainPerplexity = null);

[Description("What promote did: the two perplexities on the job's validation text and whether the new model became active.")]
public sealed record PromotionResult(
    [property: Description("never, ifBetter or always.")] PromotionMode Mode,
    [property: Description("The model that was active when the job finished.")] string? ActiveModelId,
    [property: Description("The active model's perplexity on the job's validation text (ifBetter only).")] double? ActivePerplexity,
    [property: Description("The new model's perplexity on the job's validation text.")] double? NewPerplexity,
    [property: Description("True when the new model was activated.")] bool Promoted,
    [property: Description("Why it was or was not activated.")] string Reason);

[Description("A finished job's figures.")]
public sealed record JobResult(
    [property: Description("The id of the registered model (GET /models/{id}).")] string ModelId,
    [property: Description("Epochs trained.")] int Epochs,
    [property: Description("Wall-clock seconds of training, validation included (this run only, after a resume).")] double Seconds,
    [property: Description("Training words per second (training passes only).")] double WordsPerSecond,
    [property: Description("The model's perplexity on the validation text.")] double ValidPerplexity,
    [property: Description("The model's perplexity on the training text.")] double TrainPerplexity,
    [property: Description("Words in the model's vocabulary, <unk> and </s> included.")] int VocabularySize,
    [property: Description("Epoch of the checkpoint the job resumed from after a restart, 0 if it ran straight through.")] int ResumedFromEpoch,
    [property: Description("What promote did.")] PromotionResult Promotion);

[Description("The data a job trains on, as submitted (the text itself is kept in the data directory).")]
public sealed record JobData(
    [property: Description("\"brown\" for the built-in corpus, or \"text\" for text the client sent.")] string Source,
    [property: Description("Training sentences.")] int TrainSentences,
    [property: Description("Validation sentences.")] int ValidSentences,
    [property: Description("Where validation comes from: the corpus, the sent text, or a held-out fraction.")] string Validation);

[Description("A training job.")]
public sealed record JobResponse(
    [property: Description("The job's id; the model it registers gets the same id.")] string Id,
    [property: Description("The name given at submission.")] string Name,
    [property: Description("queued, running, succeeded, failed or cancelled.")] JobStatus Status,
    [property: Description("When the job was submitted (UTC).")] DateTimeOffset CreatedUtc,
    [property: Description("When it started running, the last time (UTC).")] DateTimeOffset? StartedUtc,
    [property: Description("When it ended (UTC).")] DateTimeOffset? FinishedUtc,
    [property: Description("The data it trains on.")] JobData Data,
    [property: Description("The settings, as validated (defaults filled in, texts left out).")] JobSettings Settings,
    [property: Description("The latest progress, once it has started.")] JobProgress? Progress,
    [property: Description("The outcome, once it has succeeded.")] JobResult? Result,
    [property: Description("Why it failed, or how it was cancelled.")] string? Error,
    [property: Description("How many times a restart of the service interrupted it and it carried on.")] int Restarts,
    [property: Description("The registered model's id once the job has succeeded.")] string? ModelId,
    [property: Description("When the text it was sent and its checkpoints were removed from the data directory (DELETE /jobs/{id} once it has ended, or DELETE "
        + "/models/{id} of its model); null while they are kept.")] DateTimeOffset? FilesRemovedUtc = null) : IDocumentedExample<JobResponse>
{
    public static JobResponse Example => new(
        "j20250101120000a1b2c3", "tiny example", JobStatus.Running, new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 1, 1, 12, 0, 1, TimeSpan.Zero), null,
        new JobData("text", 4, 1, "sent text"), JobSettings.Example,
        new JobProgress(2, 0.5, 1_200, 3.1, 0.15, [9.8], 0.2, new DateTimeOffset(2025, 1, 1, 12, 0, 2, TimeSpan.Zero), [11.2]), null, null, 0, null);
}

/// <summary>
/// The settings of a job, as validated: every training setting (defaults filled in), the held-out fraction and the promotion
/// mode. Its JSON is flat, one field a setting, as a request sends them and a model card lists them (<see cref="JobSettingsJsonConverter"/>).
/// </summary>
[Description("The settings of a job, as validated: every training setting with the defaults filled in, the held-out fraction and promote.")]
[JsonConverter(typeof(JobSettingsJsonConverter))]
public sealed record JobSettings(TrainingOptions Training, double? ValidFraction, PromotionMode Promote)
{
    public static JobSettings Example => new(TrainingSettings.Standard.Defaults with { Hidden = 16, Embedding = 16, Classes = 4, MaxEpochs = 3, MinCount = 1 }, null, PromotionMode.Never);
}

[Description("Jobs, newest first.")]
public sealed record JobListResponse([property: Description("The jobs.")] IReadOnlyList<JobResponse> Jobs) : IDocumentedExample<JobListResponse>
{
    public static JobListResponse Example => new([JobResponse.Example]);
}
