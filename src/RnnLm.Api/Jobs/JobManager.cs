using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.IO;
using RnnLm.Engine.Training;

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
/// Runs training jobs in the background, one at a time by default (RnnLm:ConcurrentJobs), each on its own thread, through a
/// queue bounded by RnnLm:MaxQueuedJobs. Records live in a <see cref="JobStore"/>; the text and per-epoch checkpoints of a
/// job in <see cref="JobFiles"/>. At start-up, jobs that were queued are queued again, and jobs that were running (the
/// process died or stopped under them) resume from their last checkpoint. A full or failing disk fails the request (or the
/// running job) with <see cref="StorageUnavailableException"/> and leaves nothing half-made.
/// </summary>
public sealed partial class JobManager : BackgroundService
{
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(5);
    private readonly ModelRegistry _registry;
    private readonly JobPromotion _promotion;
    private readonly RnnLmOptions _options;
    private readonly ILogger<JobManager> _logger;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly ConcurrentDictionary<string, LiveJob> _live = new(StringComparer.Ordinal);
    private readonly Lock _submitGate = new();
    private readonly JobStore _store;
    private readonly JobFiles _files;
    private readonly ServerPaths _paths;
    private readonly DateTime _createdUtc = DateTime.UtcNow;

    public JobManager(ModelRegistry registry, JobStore store, JobFiles files, ServerPaths paths, IOptions<RnnLmOptions> options, ILogger<JobManager> logger)
    {
        _paths = paths;
        _registry = registry;
        _promotion = new JobPromotion(registry);
        _store = store;
        _files = files;
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
    public JobResponse? Find(string id) =>
        !ModelRegistry.IsValidId(id) ? null
        : _live.TryGetValue(id, out var live) ? live.Record
        : _store.Find(id);

    /// <summary>Every job, newest first; jobs in progress show their latest progress.</summary>
    /// <exception cref="StorageUnavailableException">The job store cannot be read.</exception>
    public IReadOnlyList<JobResponse> List() =>
        _store.List().Select(job => _live.TryGetValue(job.Id, out var live) ? live.Record : job).ToArray();

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

        if (QueuedCount() >= _options.MaxQueuedJobs)
        {
            return (SubmitOutcome.QueueFull, null);
        }

        var id = NewId();
        var job = new JobResponse(id, string.IsNullOrWhiteSpace(submission.Name) ? id : submission.Name, JobStatus.Queued, DateTimeOffset.UtcNow,
            null, null, data, submission.Settings, null, null, null, 0, null);
        try
        {
            _files.Stage(id, submission);
            lock (_submitGate)
            {
                if (QueuedCount() >= _options.MaxQueuedJobs)
                {
                    _files.TryRemove(id);
                    return (SubmitOutcome.QueueFull, null);
                }

                _store.Insert(job);
                _live[id] = new LiveJob(job);
            }
        }
        catch (StorageUnavailableException e)
        {
            _files.TryRemove(id);
            LogNotSaved(_logger, e.InnerException, id, e.Message);
            throw;
        }

        _queue.Writer.TryWrite(id);
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
        if (_live.TryGetValue(id, out var live) && await CancelAsync(live, wait) is { } cancelled)
        {
            return (DeleteOutcome.Cancelled, cancelled);
        }

        return Find(id) switch
        {
            null => (DeleteOutcome.NotFound, null),
            { Status: JobStatus.Queued or JobStatus.Running } elsewhere => (DeleteOutcome.NotHere, elsewhere),
            var ended => (DeleteOutcome.FilesRemoved, RemoveFiles(ended)),
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
                RemoveFiles(job);
                return;
            default:
                _files.Remove(id);
                return;
        }
    }

    /// <summary>The job now, then every change until it ends (for Server-Sent Events).</summary>
    public async IAsyncEnumerable<JobResponse> WatchAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_live.TryGetValue(id, out var live))
        {
            if (Find(id) is { } ended)
            {
                yield return ended;
            }

            yield break;
        }

        var updates = Channel.CreateBounded<JobResponse>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        JobResponse current;
        lock (live)
        {
            current = live.Record;
            if (!live.Done)
            {
                live.Watchers.Add(updates);
            }
            else
            {
                updates.Writer.TryComplete();
            }
        }

        try
        {
            yield return current;
            await foreach (var update in updates.Reader.ReadAllAsync(cancellationToken))
            {
                yield return update;
            }
        }
        finally
        {
            lock (live)
            {
                live.Watchers.Remove(updates);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Unavailable is not null || !TrainingEnabled)
        {
            return;
        }

        try
        {
            Recover();
        }
        catch (StorageUnavailableException e)
        {
            // Serving goes on; each job call reports the store's state itself.
            LogStoreUnavailable(_logger, e.InnerException, e.Message);
            return;
        }

        var workers = Enumerable.Range(0, _options.ConcurrentJobs).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None));
        await Task.WhenAll(workers);
    }

    // Start-up: carry on with what the last process left, oldest first so that the queue keeps its order, and remove the
    // folders of submissions that died before their record was written (older than this process, so none in flight).
    private void Recover()
    {
        var jobs = _store.List();
        foreach (var job in jobs.Reverse())
        {
            if (job.Status is JobStatus.Queued or JobStatus.Running)
            {
                var requeued = job.Status == JobStatus.Running ? job with { Status = JobStatus.Queued, Restarts = job.Restarts + 1 } : job;
                _store.Update(requeued);
                _live[job.Id] = new LiveJob(requeued);
                _queue.Writer.TryWrite(job.Id);
                if (job.Status == JobStatus.Running)
                {
                    LogRecovered(_logger, job.Id, job.Progress?.ValidPerplexity.Count ?? 0);
                }
            }
        }

        _files.RemoveOrphans(jobs.Select(j => j.Id).ToHashSet(StringComparer.Ordinal), _createdUtc);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                if (!_live.TryGetValue(id, out var live))
                {
                    continue;
                }

                lock (live)
                {
                    if (live.Done || live.Cancellation.IsCancellationRequested)
                    {
                        continue;
                    }
                }

                // Training is long, synchronous and CPU-bound: a thread of its own, not one of the pool's.
                await Task.Factory.StartNew(() => Run(live, stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Run(LiveJob live, CancellationToken stoppingToken)
    {
        var id = live.Record.Id;
        var checkpoints = _files.CheckpointsOf(id);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(_options.MaxJobMinutes));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(live.Cancellation.Token, stoppingToken, deadline.Token);
        try
        {
            Publish(live, live.Record with { Status = JobStatus.Running, StartedUtc = DateTimeOffset.UtcNow }, persist: true);
            var settings = live.Record.Settings;
            var (train, valid) = _files.Read(live.Record);
            var options = settings.Training;
            var lastPersist = DateTime.UtcNow;
            var trainer = new Trainer(options, progress =>
            {
                var now = DateTime.UtcNow;
                var persist = progress.EpochDone || now - lastPersist >= PersistInterval;
                lastPersist = persist ? now : lastPersist;
                Publish(live, live.Record with
                {
                    Progress = new JobProgress(progress.Epoch, progress.Fraction, progress.WordsPerSecond, progress.TrainEntropy, progress.Alpha,
                        [.. progress.ValidPerplexity], progress.Eta.TotalSeconds, DateTimeOffset.UtcNow),
                }, persist);
            });

            LogStarted(_logger, id, train.Count, valid.Count, Directory.Exists(checkpoints));
            var result = trainer.Train(train, valid, checkpoints, resume: true, cancel.Token);
            cancel.Token.ThrowIfCancellationRequested();

            var model = result.Model;
            var trainPerplexity = model.ScoreCorpus(train, options.Threads).Perplexity;
            var validPerplexity = model.ScoreCorpus(valid, options.Threads).Perplexity;
            var record = live.Record;
            _registry.Register(id, model, path => ModelCard.FromTraining(options, result) with
            {
                Name = record.Name,
                TrainingData = $"{record.Data.Source} ({train.Count:N0} sentences), validation {record.Data.Validation} ({valid.Count:N0} sentences)",
                TrainPerplexity = Math.Round(trainPerplexity, 2),
                ValidPerplexity = Math.Round(validPerplexity, 2),
                Sha256 = ModelCard.HashFile(path),
                FileBytes = new FileInfo(path).Length,
                Command = $"POST /jobs (job {id})",
            });

            var promotion = _promotion.Apply(id, settings.Promote, model, valid, settings.Training.Threads, validPerplexity);
            var outcome = new JobResult(id, result.Epochs, Math.Round(result.Seconds, 2), Math.Round(result.WordsPerSecond), validPerplexity, trainPerplexity,
                model.Shape.VocabularySize, result.ResumedFromEpoch, promotion);
            End(live, live.Record with { Status = JobStatus.Succeeded, FinishedUtc = DateTimeOffset.UtcNow, Result = outcome, ModelId = id });
            LogSucceeded(_logger, id, result.Epochs, validPerplexity, promotion.Promoted);
        }
        catch (OperationCanceledException) when (live.Cancellation.IsCancellationRequested)
        {
            End(live, live.Record with { Status = JobStatus.Cancelled, FinishedUtc = DateTimeOffset.UtcNow, Error = "Cancelled while running (DELETE /jobs/{id})." });
            LogCancelled(_logger, id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping: the record stays "running" and the job resumes from its last checkpoint at the next start.
            LogInterrupted(_logger, id);
            live.Finished.TrySetResult();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Fail(live, $"Ran longer than RnnLm:MaxJobMinutes ({_options.MaxJobMinutes} minutes); lower maxEpochs or raise the limit.", null);
        }
        catch (Exception e) when (Storage.Translate(e, "The job's progress, checkpoint or model cannot be saved") is { } fault)
        {
            // Checkpoints are replaced whole (written aside, then renamed), so the last complete one is intact for a resume.
            Fail(live, $"{fault.Message} Training stopped; submit the job again once that is fixed.", e);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or ModelFormatException or ModelLoadException)
        {
            Fail(live, e.Message, null);
        }
        catch (Exception e)
        {
            Fail(live, $"Training failed unexpectedly: {e.Message}", e);
        }
    }

    private void Fail(LiveJob live, string reason, Exception? exception)
    {
        End(live, live.Record with { Status = JobStatus.Failed, FinishedUtc = DateTimeOffset.UtcNow, Error = reason });
        LogFailed(_logger, exception, live.Record.Id, reason);
    }

    // A job that has ended (its end recorded) can no longer resume, so its checkpoints go; its text stays until it is deleted.
    private void End(LiveJob live, JobResponse record)
    {
        if (Finish(live, record))
        {
            TryRemoveCheckpoints(record.Id);
        }
    }

    // Cancels a job that has not ended and waits for it to stop; null when it had already ended.
    private async Task<JobResponse?> CancelAsync(LiveJob live, TimeSpan wait)
    {
        lock (live)
        {
            if (live.Done)
            {
                return null;
            }

            if (live.Record.Status == JobStatus.Queued)
            {
                // Recorded before anything changes: when the record cannot be saved, the job stays queued and the caller hears why.
                var cancelled = live.Record with { Status = JobStatus.Cancelled, FinishedUtc = DateTimeOffset.UtcNow, Error = "Cancelled before it started (DELETE /jobs/{id})." };
                _store.Update(cancelled);
                live.Cancellation.Cancel();
                Finish(live, cancelled, saved: true);
                return cancelled;
            }

            live.Cancellation.Cancel();
        }

        try
        {
            await live.Finished.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            // Still stopping (a validation pass or a checkpoint is being written); the record will say cancelled shortly.
        }

        if (live.SaveFailure is { } failure)
        {
            throw new StorageUnavailableException($"The job stopped, but {char.ToLowerInvariant(failure.Message[0])}{failure.Message[1..]} Until its end is saved "
                + "it would resume at the next start: DELETE it again once there is room (that also removes its stored text).", failure.Full, failure);
        }

        return live.Record;
    }

    // Removes an ended job's text and checkpoints, then records when; removing again changes nothing.
    private JobResponse RemoveFiles(JobResponse job)
    {
        _files.Remove(job.Id);
        var removed = job.FilesRemovedUtc is null ? job with { FilesRemovedUtc = DateTimeOffset.UtcNow } : job;
        _store.Update(removed);
        if (_live.TryRemove(job.Id, out var unsaved))
        {
            // A job whose end could not be recorded stayed here; now its record is saved.
            unsaved.Record = removed;
        }

        return removed;
    }

    private void Publish(LiveJob live, JobResponse record, bool persist)
    {
        lock (live)
        {
            if (live.Done)
            {
                return;
            }

            live.Record = record;
            foreach (var watcher in live.Watchers)
            {
                watcher.Writer.TryWrite(record);
            }
        }

        if (persist)
        {
            _store.Update(record);
        }
    }

    /// <summary>
    /// Ends a job: in the store first, then in memory. When the store cannot take it, the job ends all the same (it has stopped):
    /// its record stays in memory, where reads find it, and the failure is logged and kept for a request waiting on it.
    /// </summary>
    /// <returns>True when the end is recorded in the store.</returns>
    private bool Finish(LiveJob live, JobResponse record, bool saved = false)
    {
        // The reason is read by anyone who lists jobs; the log above it keeps the full paths.
        record = record with { Error = record.Error is null ? null : _paths.Redact(record.Error) };
        lock (live)
        {
            if (live.Done)
            {
                return false;
            }

            try
            {
                if (!saved)
                {
                    _store.Update(record);
                }
            }
            catch (StorageUnavailableException e)
            {
                live.SaveFailure = e;
                LogNotSaved(_logger, e.InnerException, record.Id, e.Message);
            }

            live.Record = record;
            live.Done = true;
            foreach (var watcher in live.Watchers)
            {
                watcher.Writer.TryWrite(record);
                watcher.Writer.TryComplete();
            }
        }

        if (live.SaveFailure is null)
        {
            _live.TryRemove(record.Id, out _);
        }

        live.Finished.TrySetResult();
        return live.SaveFailure is null;
    }

    private int QueuedCount() => _live.Values.Count(j => j.Record.Status == JobStatus.Queued);

    private void TryRemoveCheckpoints(string id)
    {
        try
        {
            _files.RemoveCheckpoints(id);
        }
        catch (Exception e) when (e is StorageUnavailableException or IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(_logger, e.InnerException ?? e, id, e.Message);
        }
    }

    // Sortable by time, unique by 48 random bits: j20250101120000a1b2c3d4e5f6.
    private static string NewId() => $"j{DateTime.UtcNow:yyyyMMddHHmmss}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    [LoggerMessage(LogLevel.Error, "Jobs are unavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(LogLevel.Error, "Job {JobId}: {Reason}")]
    private static partial void LogNotSaved(ILogger logger, Exception? exception, string jobId, string reason);

    [LoggerMessage(LogLevel.Information, "Job {JobId} ({Name}) queued: {Source}, {Sentences} training sentences")]
    private static partial void LogQueued(ILogger logger, string jobId, string name, string source, int sentences);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} was running when the service stopped; it resumes from its last checkpoint ({Epochs} epochs done)")]
    private static partial void LogRecovered(ILogger logger, string jobId, int epochs);

    [LoggerMessage(LogLevel.Information, "Job {JobId} started: {Train} training and {Valid} validation sentences (checkpoint present: {Resuming})")]
    private static partial void LogStarted(ILogger logger, string jobId, int train, int valid, bool resuming);

    [LoggerMessage(LogLevel.Information, "Job {JobId} succeeded: {Epochs} epochs, valid perplexity {Perplexity:F2}, promoted {Promoted}")]
    private static partial void LogSucceeded(ILogger logger, string jobId, int epochs, double perplexity, bool promoted);

    [LoggerMessage(LogLevel.Information, "Job {JobId} cancelled")]
    private static partial void LogCancelled(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Information, "Job {JobId} interrupted by shutdown; it resumes at the next start")]
    private static partial void LogInterrupted(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception? exception, string jobId, string reason);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, Exception? exception, string jobId, string reason);

    private sealed class LiveJob(JobResponse record)
    {
        public JobResponse Record { get; set; } = record;

        public bool Done { get; set; }

        /// <summary>Why the job's end could not be recorded, or null.</summary>
        public StorageUnavailableException? SaveFailure { get; set; }

        public CancellationTokenSource Cancellation { get; } = new();

        public List<Channel<JobResponse>> Watchers { get; } = [];

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
