using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;

namespace RnnLm.Api.Jobs;

/// <summary>A validated submission: the settings and, for sent text, the sentences (already split into tokens).</summary>
public sealed record JobSubmission(string? Name, JobSettings Settings, IReadOnlyList<string[]>? Train, IReadOnlyList<string[]>? Valid);

/// <summary>How a submission went.</summary>
public enum SubmitOutcome
{
    Accepted,
    QueueFull,
    TrainingDisabled,
}

/// <summary>What DELETE /jobs/{id} did.</summary>
public enum DeleteOutcome
{
    NotFound,

    /// <summary>The job was queued or running here and is now cancelled.</summary>
    Cancelled,

    /// <summary>The job had ended; its stored text and checkpoints are gone, its record and model stay.</summary>
    FilesRemoved,

    /// <summary>The job is queued or running on another instance sharing the data directory (this one does not train).</summary>
    NotHere,
}

/// <summary>
/// What the jobs API asks of jobs: submit, read, watch, cancel and delete. Jobs wait in the <see cref="JobQueue"/>, run one at
/// a time by default (RnnLm:ConcurrentJobs) in the <see cref="JobRunner"/>, and show their state on the <see cref="JobBoard"/>.
/// Records live in a <see cref="JobStore"/>; the text and per-epoch checkpoints of a job in <see cref="JobFiles"/>. A full or
/// failing disk fails the request (or the running job) with <see cref="StorageUnavailableException"/> and leaves nothing half-made.
/// </summary>
public sealed partial class JobManager
{
    private readonly JobStore _store;
    private readonly JobFiles _files;
    private readonly JobBoard _board;
    private readonly JobQueue _queue;
    private readonly RnnLmOptions _options;
    private readonly ILogger<JobManager> _logger;

    public JobManager(JobStore store, JobFiles files, JobBoard board, JobQueue queue, IOptions<RnnLmOptions> options, ILogger<JobManager> logger)
    {
        _store = store;
        _files = files;
        _board = board;
        _queue = queue;
        _options = options.Value;
        _logger = logger;
        if (store.Unavailable is { } unavailable)
        {
            LogStoreUnavailable(logger, unavailable.InnerException, unavailable.Message);
        }
    }

    /// <summary>Why jobs cannot be used at all (the job store could not be opened), or null.</summary>
    public StorageUnavailableException? Unavailable => _store.Unavailable;

    public bool TrainingEnabled => _options.TrainingEnabled;

    /// <summary>The folder of the built-in Brown corpus (train.txt, valid.txt).</summary>
    public string BrownDirectory => _files.BrownDirectory;

    /// <exception cref="StorageUnavailableException">The job store cannot be read.</exception>
    public JobResponse? Find(string id) => _board.Find(id);

    /// <summary>Every job, newest first; jobs in progress show their latest progress.</summary>
    /// <exception cref="StorageUnavailableException">The job store cannot be read.</exception>
    public IReadOnlyList<JobResponse> List() => _board.List();

    /// <summary>Queues a job. The text is written to the job's folder first; the record goes in only when there is room in the queue.</summary>
    /// <exception cref="StorageUnavailableException">The text or the record cannot be written; nothing is left of the job.</exception>
    public (SubmitOutcome Outcome, JobResponse? Job) Submit(JobSubmission submission, JobData data)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (!TrainingEnabled)
        {
            return (SubmitOutcome.TrainingDisabled, null);
        }

        if (Unavailable is { } unavailable)
        {
            throw unavailable;
        }

        if (_queue.Full)
        {
            return (SubmitOutcome.QueueFull, null);
        }

        var id = NewId();
        var job = new JobResponse(id, string.IsNullOrWhiteSpace(submission.Name) ? id : submission.Name, JobStatus.Queued, DateTimeOffset.UtcNow,
            null, null, data, submission.Settings, null, null, null, 0, null);
        try
        {
            _files.Stage(id, submission);
            if (!_queue.TryEnqueue(job))
            {
                _files.TryRemove(id);
                return (SubmitOutcome.QueueFull, null);
            }
        }
        catch (StorageUnavailableException e)
        {
            _files.TryRemove(id);
            LogNotSaved(_logger, e.InnerException, id, e.Message);
            throw;
        }

        LogQueued(_logger, id, job.Name, data.Source, data.TrainSentences);
        return (SubmitOutcome.Accepted, job);
    }

    /// <summary>
    /// DELETE /jobs/{id}: cancels a queued or running job and waits (up to <paramref name="wait"/>) until it has stopped; for a
    /// job that has ended, removes its stored text and checkpoints (its record and model stay).
    /// </summary>
    /// <exception cref="StorageUnavailableException">The change cannot be recorded, or the files cannot be removed.</exception>
    public async Task<(DeleteOutcome Outcome, JobResponse? Job)> DeleteAsync(string id, TimeSpan wait)
    {
        if (_board.Live(id) is { } live && await _board.CancelAsync(live, wait) is { } cancelled)
        {
            return (DeleteOutcome.Cancelled, cancelled);
        }

        return Find(id) switch
        {
            null => (DeleteOutcome.NotFound, null),
            { Status: JobStatus.Queued or JobStatus.Running } elsewhere => (DeleteOutcome.NotHere, elsewhere),
            var ended => (DeleteOutcome.FilesRemoved, _board.RemoveFiles(ended)),
        };
    }

    /// <summary>Removes the stored text and checkpoints of the job that trained model <paramref name="id"/>, when they are still kept.</summary>
    /// <exception cref="StorageUnavailableException">The files cannot be removed, or the record cannot say so.</exception>
    public void RemoveFilesOf(string id)
    {
        switch (Unavailable is null ? Find(id) : null)
        {
            case { Status: JobStatus.Queued or JobStatus.Running }:
                return;
            case { } job:
                _board.RemoveFiles(job);
                return;
            default:
                _files.Remove(id);
                return;
        }
    }

    /// <summary>The job now, then every change until it ends (for Server-Sent Events).</summary>
    public IAsyncEnumerable<JobResponse> WatchAsync(string id, CancellationToken cancellationToken) => _board.WatchAsync(id, cancellationToken);

    // Sortable by time, unique by 48 random bits: j20250101120000a1b2c3d4e5f6.
    private static string NewId() => $"j{DateTime.UtcNow:yyyyMMddHHmmss}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    [LoggerMessage(LogLevel.Error, "Jobs are unavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(LogLevel.Error, "Job {JobId}: {Reason}")]
    private static partial void LogNotSaved(ILogger logger, Exception? exception, string jobId, string reason);

    [LoggerMessage(LogLevel.Information, "Job {JobId} ({Name}) queued: {Source}, {Sentences} training sentences")]
    private static partial void LogQueued(ILogger logger, string jobId, string name, string source, int sentences);
}
