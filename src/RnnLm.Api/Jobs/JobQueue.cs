using System.Threading.Channels;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Jobs;

/// <summary>
/// The queue of jobs waiting to run: a channel bounded by RnnLm:MaxQueuedJobs, drained by RnnLm:ConcurrentJobs workers that
/// hand each job to the <see cref="JobRunner"/>. A submission that finds it full is refused at once. At start-up, jobs that
/// were queued are queued again, and jobs that were running (the process died or stopped under them) are queued to resume
/// from their last checkpoint.
/// </summary>
public sealed partial class JobQueue : BackgroundService
{
    private readonly JobBoard _board;
    private readonly JobStore _store;
    private readonly JobFiles _files;
    private readonly JobRunner _runner;
    private readonly RnnLmOptions _options;
    private readonly ILogger<JobQueue> _logger;
    private readonly Channel<LiveJob> _waiting;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly DateTime _createdUtc = DateTime.UtcNow;

    public JobQueue(JobBoard board, JobStore store, JobFiles files, JobRunner runner, IOptions<RnnLmOptions> options, ILogger<JobQueue> logger)
    {
        _board = board;
        _store = store;
        _files = files;
        _runner = runner;
        _options = options.Value;
        _logger = logger;
        // A submission never waits for room: it finds some or is refused at once (429); only jobs recovered beyond the capacity wait.
        _capacity = Math.Max(1, _options.MaxQueuedJobs);
        _waiting = Channel.CreateBounded<LiveJob>(new BoundedChannelOptions(_capacity) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>True when RnnLm:MaxQueuedJobs jobs are already waiting.</summary>
    public bool Full => _board.QueuedCount >= _options.MaxQueuedJobs;

    /// <summary>Jobs in the channel, cancelled ones included until they are passed or taken out.</summary>
    internal int WaitingCount => _waiting.Reader.Count;

    private bool HasRoom => _waiting.Reader.Count < _capacity;

    /// <summary>Records a new job and queues it, unless the queue is full.</summary>
    /// <returns>False when the queue is full (nothing is recorded).</returns>
    /// <exception cref="StorageUnavailableException">The record cannot be written (nothing is queued).</exception>
    public bool TryEnqueue(JobResponse job)
    {
        lock (_gate)
        {
            if (Full)
            {
                return false;
            }

            if (!HasRoom)
            {
                // Jobs cancelled while they waited still hold their places until a worker passes them: let them go.
                Compact();
            }

            if (!HasRoom)
            {
                return false;
            }

            // Workers only take from the channel and every writer holds the gate, so the room found is still there.
            _waiting.Writer.TryWrite(_board.Add(job, isNew: true));
            return true;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_store.Unavailable is not null || !_options.TrainingEnabled)
        {
            return;
        }

        IReadOnlyList<LiveJob> overflow;
        try
        {
            overflow = Recover();
        }
        catch (StorageUnavailableException e)
        {
            // Serving goes on; each job call reports the store's state itself.
            LogStoreUnavailable(_logger, e.InnerException, e.Message);
            return;
        }

        var workers = Enumerable.Range(0, _options.ConcurrentJobs).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)).ToArray();
        try
        {
            foreach (var live in overflow)
            {
                while (!TryWrite(live))
                {
                    await _waiting.Writer.WaitToWriteAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(workers);
    }

    // Start-up: carry on with what the last process left, oldest first so that the queue keeps its order, and remove the
    // folders of submissions that died before their record was written (older than this process, so none in flight).
    // Returns the jobs the queue had no room for (more were left than RnnLm:MaxQueuedJobs now allows): they wait for room.
    private List<LiveJob> Recover()
    {
        var jobs = _store.List();
        var overflow = new List<LiveJob>();
        foreach (var job in jobs.Reverse())
        {
            if (job.Status is JobStatus.Queued or JobStatus.Running)
            {
                var requeued = job.Status == JobStatus.Running ? job with { Status = JobStatus.Queued, Restarts = job.Restarts + 1 } : job;
                lock (_gate)
                {
                    var live = _board.Add(requeued, isNew: false);
                    if (overflow.Count > 0 || !TryWrite(live))
                    {
                        overflow.Add(live);
                    }
                }

                if (job.Status == JobStatus.Running)
                {
                    LogRecovered(_logger, job.Id, job.Progress?.ValidPerplexity.Count ?? 0);
                }
            }
        }

        _files.RemoveOrphans(jobs.Select(j => j.Id).ToHashSet(StringComparer.Ordinal), _createdUtc);
        return overflow;
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var live in _waiting.Reader.ReadAllAsync(stoppingToken))
            {
                if (live.Waiting)
                {
                    await _runner.RunAsync(live, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private bool TryWrite(LiveJob live)
    {
        lock (_gate)
        {
            return _waiting.Writer.TryWrite(live);
        }
    }

    // Takes out the jobs cancelled while they waited, keeping the order of the rest. Under the gate, so no submission writes
    // meanwhile; a worker that reads meanwhile takes the next job in line, as it would have anyway.
    private void Compact()
    {
        var waiting = new List<LiveJob>();
        while (_waiting.Reader.TryRead(out var live))
        {
            waiting.Add(live);
        }

        foreach (var live in waiting.Where(j => j.Waiting))
        {
            _waiting.Writer.TryWrite(live);
        }
    }

    [LoggerMessage(LogLevel.Error, "Jobs are unavailable: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} was running when the service stopped; it resumes from its last checkpoint ({Epochs} epochs done)")]
    private static partial void LogRecovered(ILogger logger, string jobId, int epochs);
}
