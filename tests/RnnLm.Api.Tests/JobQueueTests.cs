using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Jobs;

namespace RnnLm.Api.Tests;

/// <summary>The queue on its own, not started (no worker takes a job), over the store and board of a server that does not train.</summary>
public sealed class JobQueueTests : IDisposable
{
    private const int MaxQueuedJobs = 2;
    private readonly RnnLmApplication _app = new(new Dictionary<string, string?> { ["RnnLm:TrainingEnabled"] = "false" });
    private readonly JobBoard _board;
    private readonly JobQueue _queue;

    public JobQueueTests()
    {
        var services = _app.Services;
        _board = services.GetRequiredService<JobBoard>();
        _queue = new JobQueue(_board, services.GetRequiredService<JobStore>(), services.GetRequiredService<JobFiles>(), services.GetRequiredService<JobRunner>(),
            Options.Create(new RnnLmOptions { MaxQueuedJobs = MaxQueuedJobs }), NullLogger<JobQueue>.Instance);
    }

    public void Dispose()
    {
        _queue.Dispose();
        _app.Dispose();
    }

    [Fact]
    public void TheQueueRefusesTheJobAfterMaxQueuedJobsAtOnceAndRecordsNothingOfIt()
    {
        Assert.True(_queue.TryEnqueue(Job("j1")));
        Assert.True(_queue.TryEnqueue(Job("j2")));

        Assert.True(_queue.Full);
        Assert.False(_queue.TryEnqueue(Job("j3")));
        Assert.Equal(2, _queue.WaitingCount);
        Assert.Null(_board.Find("j3"));
        Assert.Equal(["j2", "j1"], _board.List().Select(j => j.Id));
    }

    [Fact]
    public async Task AJobCancelledWhileItWaitedGivesItsPlaceToTheNext()
    {
        Assert.True(_queue.TryEnqueue(Job("j1")));
        Assert.True(_queue.TryEnqueue(Job("j2")));

        var cancelled = await _board.CancelAsync(_board.Live("j1")!, TimeSpan.FromSeconds(5));

        Assert.Equal(JobStatus.Cancelled, cancelled?.Status);
        Assert.False(_queue.Full);
        Assert.Equal(2, _queue.WaitingCount); // no worker has passed j1 yet
        Assert.True(_queue.TryEnqueue(Job("j3"))); // j1 is taken out to make room
        Assert.Equal(2, _queue.WaitingCount);
        Assert.False(_queue.TryEnqueue(Job("j4")));
        Assert.Equal([JobStatus.Queued, JobStatus.Queued, JobStatus.Cancelled], _board.List().Select(j => j.Status));
    }

    private static JobResponse Job(string id) =>
        new(id, id, JobStatus.Queued, DateTimeOffset.UtcNow, null, null, new JobData("brown", 1, 1, "corpus"), JobSettings.Example, null, null, null, 0, null);
}
