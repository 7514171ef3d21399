using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;

namespace RnnLm.Api.Jobs;

/// <summary>A job that is queued or running here (or has ended without its end recorded): its latest record and who watches it.</summary>
public sealed class LiveJob
{
    internal LiveJob(JobResponse record) => Record = record;

    public JobResponse Record { get; internal set; }

    internal bool Done { get; set; }

    /// <summary>Why the job's end could not be recorded, or null.</summary>
    internal StorageUnavailableException? SaveFailure { get; set; }

    internal CancellationTokenSource Cancellation { get; } = new();

    internal List<Channel<JobResponse>> Watchers { get; } = [];

    internal TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True while the job waits in the queue and nobody has cancelled it.</summary>
    internal bool Waiting
    {
        get
        {
            lock (this)
            {
                return !Done && !Cancellation.IsCancellationRequested && Record.Status == JobStatus.Queued;
            }
        }
    }
}

/// <summary>
/// The live state of jobs: the latest record of each job queued or running here, kept in step with the <see cref="JobStore"/>,
/// and the stream of its changes (<see cref="WatchAsync"/>). A job's end goes to the store first, then to memory; when the
/// store cannot take it, the job ends all the same and its record stays here, where reads find it.
/// </summary>
public sealed partial class JobBoard(JobStore store, JobFiles files, ServerPaths paths, ILogger<JobBoard> logger)
{
    private readonly ConcurrentDictionary<string, LiveJob> _live = new(StringComparer.Ordinal);

    /// <exception cref="StorageUnavailableException">The job store cannot be read.</exception>
    public JobResponse? Find(string id) =>
        !ModelRegistry.IsValidId(id) ? null
        : _live.TryGetValue(id, out var live) ? live.Record
        : store.Find(id);

    /// <summary>Every job, newest first; jobs in progress show their latest progress.</summary>
    /// <exception cref="StorageUnavailableException">The job store cannot be read.</exception>
    public IReadOnlyList<JobResponse> List() =>
        store.List().Select(job => _live.TryGetValue(job.Id, out var live) ? live.Record : job).ToArray();

    /// <summary>The job with this id when it is queued or running here.</summary>
    public LiveJob? Live(string id) => _live.TryGetValue(id, out var live) ? live : null;

    /// <summary>Jobs waiting to start.</summary>
    public int QueuedCount => _live.Values.Count(j => j.Record.Status == JobStatus.Queued);

    /// <summary>Records a new job (<paramref name="isNew"/>) or a recovered one, and shows it here.</summary>
    /// <exception cref="StorageUnavailableException">The record cannot be written; the job is not shown.</exception>
    public LiveJob Add(JobResponse job, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (isNew)
        {
            store.Insert(job);
        }
        else
        {
            store.Update(job);
        }

        var live = new LiveJob(job);
        _live[job.Id] = live;
        return live;
    }

    /// <summary>Shows a job's new state to its watchers and, when <paramref name="persist"/>, records it; a job that has ended stays as it ended.</summary>
    public void Publish(LiveJob live, JobResponse record, bool persist)
    {
        ArgumentNullException.ThrowIfNull(live);
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
            store.Update(record);
        }
    }

    /// <summary>Ends a job that stopped; when its end is recorded, its checkpoints go (it can no longer resume), its text stays until it is deleted.</summary>
    public void End(LiveJob live, JobResponse record)
    {
        if (Finish(live, record))
        {
            TryRemoveCheckpoints(record.Id);
        }
    }

    /// <summary>Ends a job as failed, with a reason a user can act on.</summary>
    public void Fail(LiveJob live, string reason, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(live);
        End(live, live.Record with { Status = JobStatus.Failed, FinishedUtc = DateTimeOffset.UtcNow, Error = reason });
        LogFailed(logger, exception, live.Record.Id, reason);
    }

    /// <summary>The runner let go of a job without ending it (the service is stopping): requests waiting on it go on.</summary>
    public static void Release(LiveJob live)
    {
        ArgumentNullException.ThrowIfNull(live);
        live.Finished.TrySetResult();
    }

    /// <summary>Cancels a job that has not ended and waits (up to <paramref name="wait"/>) for it to stop; null when it had already ended.</summary>
    /// <exception cref="StorageUnavailableException">The end cannot be recorded.</exception>
    public async Task<JobResponse?> CancelAsync(LiveJob live, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(live);
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
                store.Update(cancelled);
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

    /// <summary>Removes an ended job's text and checkpoints, then records when; removing again changes nothing.</summary>
    /// <exception cref="StorageUnavailableException">The files cannot be removed, or the record cannot say so.</exception>
    public JobResponse RemoveFiles(JobResponse job)
    {
        ArgumentNullException.ThrowIfNull(job);
        files.Remove(job.Id);
        var removed = job.FilesRemovedUtc is null ? job with { FilesRemovedUtc = DateTimeOffset.UtcNow } : job;
        store.Update(removed);
        if (_live.TryRemove(job.Id, out var unsaved))
        {
            // A job whose end could not be recorded stayed here; now its record is saved.
            unsaved.Record = removed;
        }

        return removed;
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

    /// <summary>
    /// Ends a job: in the store first, then in memory. When the store cannot take it, the job ends all the same (it has stopped):
    /// its record stays in memory, where reads find it, and the failure is logged and kept for a request waiting on it.
    /// </summary>
    /// <returns>True when the end is recorded in the store.</returns>
    private bool Finish(LiveJob live, JobResponse record, bool saved = false)
    {
        // The reason is read by anyone who lists jobs; the log above it keeps the full paths.
        record = record with { Error = record.Error is null ? null : paths.Redact(record.Error) };
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
                    store.Update(record);
                }
            }
            catch (StorageUnavailableException e)
            {
                live.SaveFailure = e;
                LogNotSaved(logger, e.InnerException, record.Id, e.Message);
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

    private void TryRemoveCheckpoints(string id)
    {
        try
        {
            files.RemoveCheckpoints(id);
        }
        catch (Exception e) when (e is StorageUnavailableException or IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(logger, e.InnerException ?? e, id, e.Message);
        }
    }

    [LoggerMessage(LogLevel.Error, "Job {JobId}: {Reason}")]
    private static partial void LogNotSaved(ILogger logger, Exception? exception, string jobId, string reason);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception? exception, string jobId, string reason);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, Exception? exception, string jobId, string reason);
}
