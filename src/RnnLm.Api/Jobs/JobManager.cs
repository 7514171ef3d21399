using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine;
using RnnLm.Engine.Data;
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

/// <summary>
/// Runs training jobs in the background, one at a time by default (RnnLm:ConcurrentJobs), each on its own thread, through a
/// queue bounded by RnnLm:MaxQueuedJobs. Records live in SQLite; the text and per-epoch checkpoints of a job live in
/// <c>DataDirectory/jobs/ID/</c>. At start-up, jobs that were queued are queued again, and jobs that were running (the
/// process died or stopped under them) resume from their last checkpoint.
/// </summary>
public sealed partial class JobManager : BackgroundService
{
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(5);
    private readonly ModelRegistry _registry;
    private readonly ModelHost _host;
    private readonly RnnLmOptions _options;
    private readonly ILogger<JobManager> _logger;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly ConcurrentDictionary<string, LiveJob> _live = new(StringComparer.Ordinal);
    private readonly Lock _submitGate = new();
    private readonly JobStore? _store;
    private readonly ServerPaths _paths;

    public JobManager(ModelRegistry registry, ModelHost host, IOptions<RnnLmOptions> options, IHostEnvironment environment, ServerPaths paths, ILogger<JobManager> logger)
    {
        _paths = paths;
        _registry = registry;
        _host = host;
        _options = options.Value;
        _logger = logger;
        JobsDirectory = Path.Combine(registry.DataDirectory, "jobs");
        BrownDirectory = Path.GetDirectoryName(ModelHost.Resolve(Path.Combine(_options.BrownDirectory, "train.txt"), environment.ContentRootPath))!;
        try
        {
            _store = new JobStore(Path.Combine(registry.DataDirectory, "jobs.db"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            Unavailable = $"The jobs database in '{registry.DataDirectory}' cannot be opened: {e.Message} Set RnnLm__DataDirectory to a writable folder.";
            LogStoreUnavailable(logger, Unavailable);
        }
    }

    /// <summary>Why jobs cannot be used at all (the database could not be opened), or null.</summary>
    public string? Unavailable { get; }

    public bool TrainingEnabled => _options.TrainingEnabled;

    public string JobsDirectory { get; }

    /// <summary>The folder of the built-in Brown corpus (train.txt, valid.txt).</summary>
    public string BrownDirectory { get; }

    public JobResponse? Find(string id) =>
        !ModelRegistry.IsValidId(id) ? null
        : _live.TryGetValue(id, out var live) ? live.Record
        : _store?.Find(id);

    /// <summary>Every job, newest first; jobs in progress show their latest progress.</summary>
    public IReadOnlyList<JobResponse> List() =>
        _store?.List().Select(job => _live.TryGetValue(job.Id, out var live) ? live.Record : job).ToArray() ?? [];

    /// <summary>Queues a job. The text is written to the job's folder first; the record goes in only when there is room in the queue.</summary>
    public (SubmitOutcome Outcome, JobResponse? Job) Submit(JobSubmission submission, JobData data)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (!TrainingEnabled)
        {
            return (SubmitOutcome.TrainingDisabled, null);
        }

        if (_store is null || QueuedCount() >= _options.MaxQueuedJobs)
        {
            return (SubmitOutcome.QueueFull, null);
        }

        var id = NewId();
        var folder = Path.Combine(JobsDirectory, id);
        Directory.CreateDirectory(folder);
        if (submission.Train is { } train)
        {
            AtomicFile.WriteAllText(Path.Combine(folder, "train.txt"), Lines(train));
        }

        if (submission.Valid is { } valid)
        {
            AtomicFile.WriteAllText(Path.Combine(folder, "valid.txt"), Lines(valid));
        }

        var job = new JobResponse(id, string.IsNullOrWhiteSpace(submission.Name) ? id : submission.Name, JobStatus.Queued, DateTimeOffset.UtcNow,
            null, null, data, submission.Settings, null, null, null, 0, null);
        lock (_submitGate)
        {
            if (QueuedCount() >= _options.MaxQueuedJobs)
            {
                Directory.Delete(folder, recursive: true);
                return (SubmitOutcome.QueueFull, null);
            }

            _store.Insert(job);
            _live[id] = new LiveJob(job);
        }

        _queue.Writer.TryWrite(id);
        LogQueued(_logger, id, job.Name, data.Source, data.TrainSentences);
        return (SubmitOutcome.Accepted, job);
    }

    /// <summary>Cancels a queued or running job and waits (up to <paramref name="wait"/>) until it has stopped.</summary>
    /// <returns>The job as it stands afterwards, or null when there is no such job; <c>Conflict</c> when it had already ended.</returns>
    public async Task<(JobResponse? Job, bool Conflict)> CancelAsync(string id, TimeSpan wait)
    {
        if (!_live.TryGetValue(id, out var live))
        {
            var ended = Find(id);
            return (ended, ended is not null);
        }

        bool wasQueued;
        lock (live)
        {
            if (live.Done)
            {
                return (live.Record, true);
            }

            live.Cancellation.Cancel();
            wasQueued = live.Record.Status == JobStatus.Queued;
        }

        if (wasQueued)
        {
            Finish(live, live.Record with { Status = JobStatus.Cancelled, FinishedUtc = DateTimeOffset.UtcNow, Error = "Cancelled before it started (DELETE /jobs/{id})." });
        }

        try
        {
            await live.Finished.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            // Still stopping (a validation pass or a checkpoint is being written); the record will say cancelled shortly.
        }

        return (live.Record, false);
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
        if (_store is null || !TrainingEnabled)
        {
            return;
        }

        // Start-up: carry on with what the last process left. Oldest first, so the queue keeps its order.
        foreach (var job in _store.List().Reverse())
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

        var workers = Enumerable.Range(0, _options.ConcurrentJobs).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None));
        await Task.WhenAll(workers);
    }

    public override void Dispose()
    {
        base.Dispose();
        _store?.Dispose();
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
        var folder = Path.Combine(JobsDirectory, id);
        var checkpoints = Path.Combine(folder, "checkpoints");
        Publish(live, live.Record with { Status = JobStatus.Running, StartedUtc = DateTimeOffset.UtcNow }, persist: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(_options.MaxJobMinutes));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(live.Cancellation.Token, stoppingToken, deadline.Token);
        try
        {
            var settings = live.Record.Settings;
            var (train, valid) = LoadText(live.Record, folder);
            var options = ToTrainingOptions(settings);
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

            var promotion = Promote(id, settings, model, valid, validPerplexity);
            var outcome = new JobResult(id, result.Epochs, Math.Round(result.Seconds, 2), Math.Round(result.WordsPerSecond), validPerplexity, trainPerplexity,
                model.Shape.VocabularySize, result.ResumedFromEpoch, promotion);
            Finish(live, live.Record with { Status = JobStatus.Succeeded, FinishedUtc = DateTimeOffset.UtcNow, Result = outcome, ModelId = id });
            LogSucceeded(_logger, id, result.Epochs, validPerplexity, promotion.Promoted);
            TryDelete(checkpoints);
        }
        catch (OperationCanceledException) when (live.Cancellation.IsCancellationRequested)
        {
            Finish(live, live.Record with { Status = JobStatus.Cancelled, FinishedUtc = DateTimeOffset.UtcNow, Error = "Cancelled while running (DELETE /jobs/{id})." });
            LogCancelled(_logger, id);
            TryDelete(checkpoints);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping: the record stays "running" and the job resumes from its last checkpoint at the next start.
            LogInterrupted(_logger, id);
            live.Finished.TrySetResult();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            var reason = $"Ran longer than RnnLm:MaxJobMinutes ({_options.MaxJobMinutes} minutes); lower maxEpochs or raise the limit.";
            Finish(live, live.Record with { Status = JobStatus.Failed, FinishedUtc = DateTimeOffset.UtcNow, Error = reason });
            LogFailed(_logger, id, reason);
            TryDelete(checkpoints);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or ModelFormatException or ModelLoadException)
        {
            Finish(live, live.Record with { Status = JobStatus.Failed, FinishedUtc = DateTimeOffset.UtcNow, Error = e.Message });
            LogFailed(_logger, id, e.Message);
        }
        catch (Exception e)
        {
            Finish(live, live.Record with { Status = JobStatus.Failed, FinishedUtc = DateTimeOffset.UtcNow, Error = $"Training failed unexpectedly: {e.Message}" });
            LogCrashed(_logger, e, id);
        }
    }

    private PromotionResult Promote(string id, JobSettings settings, LanguageModel model, IReadOnlyList<string[]> valid, double newPerplexity)
    {
        var active = _host.Active;
        switch (settings.Promote)
        {
            case PromotionMode.Never:
                return new PromotionResult(PromotionMode.Never, active?.Id, null, newPerplexity, false, "promote is never: activate it with POST /models/{id}/activate.");
            case PromotionMode.Always:
                Activate(id);
                return new PromotionResult(PromotionMode.Always, active?.Id, null, newPerplexity, true, "promote is always.");
            default:
                if (active is null)
                {
                    Activate(id);
                    return new PromotionResult(PromotionMode.IfBetter, null, null, newPerplexity, true, "No model was active.");
                }

                var activePerplexity = active.Model.ScoreCorpus(valid, settings.Threads).Perplexity;
                var better = newPerplexity < activePerplexity;
                if (better)
                {
                    Activate(id);
                }

                return new PromotionResult(PromotionMode.IfBetter, active.Id, activePerplexity, newPerplexity, better, better
                    ? $"Perplexity {newPerplexity:F2} beats the active model's {activePerplexity:F2} on the job's validation text."
                    : $"Perplexity {newPerplexity:F2} does not beat the active model's {activePerplexity:F2} on the job's validation text; {active.Id} stays active.");
        }
    }

    private void Activate(string id) =>
        _registry.Activate(_registry.Find(id) ?? throw new IOException($"Model '{id}' was registered but cannot be found."));

    private (IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid) LoadText(JobResponse job, string folder)
    {
        if (job.Data.Source == "brown")
        {
            return (TextCorpus.Read(Path.Combine(BrownDirectory, "train.txt")), TextCorpus.Read(Path.Combine(BrownDirectory, "valid.txt")));
        }

        var train = TextCorpus.Read(Path.Combine(folder, "train.txt"));
        var validPath = Path.Combine(folder, "valid.txt");
        if (File.Exists(validPath))
        {
            return (train, TextCorpus.Read(validPath));
        }

        return HoldOut(train, job.Settings.ValidFraction ?? 0.1, job.Settings.Seed);
    }

    /// <summary>Splits off a seeded random fraction of the sentences (at least one, never all) for validation, keeping the order of each part.</summary>
    internal static (IReadOnlyList<string[]> Train, IReadOnlyList<string[]> Valid) HoldOut(IReadOnlyList<string[]> sentences, double fraction, int seed)
    {
        if (sentences.Count < 2)
        {
            throw new ArgumentException("Holding out validation text needs at least two training sentences; send a valid text.");
        }

        var count = HeldOutCount(sentences.Count, fraction);
        var order = Enumerable.Range(0, sentences.Count).ToArray();
        new Random(seed).Shuffle(order);
        var held = order.Take(count).ToHashSet();
        return (sentences.Where((_, i) => !held.Contains(i)).ToArray(), sentences.Where((_, i) => held.Contains(i)).ToArray());
    }

    /// <summary>How many of <paramref name="sentences"/> a fraction holds out: rounded, at least one, never all.</summary>
    internal static int HeldOutCount(int sentences, double fraction) => Math.Clamp((int)Math.Round(sentences * fraction), 1, Math.Max(1, sentences - 1));

    internal static TrainingOptions ToTrainingOptions(JobSettings s) => new()
    {
        Hidden = s.Hidden,
        Embedding = s.Embedding,
        Output = s.Output,
        Classes = s.Classes,
        Bptt = s.Bptt,
        BpttBlock = s.BpttBlock,
        Streams = s.Streams,
        Alpha = s.Alpha,
        Beta = s.Beta,
        MaxEpochs = s.MaxEpochs,
        MinImprovement = s.MinImprovement,
        MinCount = s.MinCount,
        Threads = s.Threads,
        Seed = s.Seed,
    };

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
            _store?.Update(record);
        }
    }

    private void Finish(LiveJob live, JobResponse record)
    {
        // The reason is read by anyone who lists jobs; the log above it keeps the full paths.
        record = record with { Error = record.Error is null ? null : _paths.Redact(record.Error) };
        lock (live)
        {
            if (live.Done)
            {
                return;
            }

            live.Record = record;
            live.Done = true;
            _store?.Update(record);
            foreach (var watcher in live.Watchers)
            {
                watcher.Writer.TryWrite(record);
                watcher.Writer.TryComplete();
            }
        }

        _live.TryRemove(live.Record.Id, out _);
        live.Finished.TrySetResult();
    }

    private int QueuedCount() => _live.Values.Count(j => j.Record.Status == JobStatus.Queued);

    private void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException e)
        {
            LogCleanupFailed(_logger, folder, e.Message);
        }
    }

    // Sortable by time, unique by 48 random bits: j20250101120000a1b2c3d4e5f6.
    private static string NewId() => $"j{DateTime.UtcNow:yyyyMMddHHmmss}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    private static string Lines(IReadOnlyList<string[]> sentences) => string.Concat(sentences.Select(s => string.Join(' ', s) + "\n"));

    [LoggerMessage(LogLevel.Error, "Jobs are unavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string reason);

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
    private static partial void LogFailed(ILogger logger, string jobId, string reason);

    [LoggerMessage(LogLevel.Error, "Job {JobId} failed unexpectedly")]
    private static partial void LogCrashed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(LogLevel.Warning, "Could not delete {Folder}: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string folder, string reason);

    private sealed class LiveJob(JobResponse record)
    {
        public JobResponse Record { get; set; } = record;

        public bool Done { get; set; }

        public CancellationTokenSource Cancellation { get; } = new();

        public List<Channel<JobResponse>> Watchers { get; } = [];

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
