using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.IO;
using RnnLm.Engine.Training;

namespace RnnLm.Api.Jobs;

/// <summary>
/// Runs one job from start to end: trains (resuming from the job's last checkpoint), scores the new model, registers it with
/// its card, promotes it when asked, and ends the job on the <see cref="JobBoard"/> as succeeded, cancelled or failed. The
/// work is synchronous and CPU-bound, so each job gets a thread of its own (<see cref="RunAsync"/>); the trainer checks the
/// cancellation (DELETE, shutdown or RnnLm:MaxJobMinutes) after every block of words.
/// </summary>
public sealed partial class JobRunner
{
    private static readonly TimeSpan PersistInterval = TimeSpan.FromSeconds(5);
    private readonly JobBoard _board;
    private readonly JobFiles _files;
    private readonly ModelRegistry _registry;
    private readonly JobPromotion _promotion;
    private readonly RnnLmOptions _options;
    private readonly ILogger<JobRunner> _logger;

    public JobRunner(JobBoard board, JobFiles files, ModelRegistry registry, IOptions<RnnLmOptions> options, ILogger<JobRunner> logger)
    {
        _board = board;
        _files = files;
        _registry = registry;
        _promotion = new JobPromotion(registry);
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Runs the job on a thread of its own (training would hold one of the pool's for hours) and completes when it has stopped.</summary>
    public Task RunAsync(LiveJob live, CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(live, stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Runs the job on the calling thread; every outcome, failures included, ends up in the job's record.</summary>
    public void Run(LiveJob live, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(live);
        var id = live.Record.Id;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(_options.MaxJobMinutes));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(live.Cancellation.Token, stoppingToken, deadline.Token);
        try
        {
            _board.Publish(live, live.Record with { Status = JobStatus.Running, StartedUtc = DateTimeOffset.UtcNow }, persist: true);
            var outcome = Train(live, cancel.Token);
            _board.End(live, live.Record with { Status = JobStatus.Succeeded, FinishedUtc = DateTimeOffset.UtcNow, Result = outcome, ModelId = id });
            LogSucceeded(_logger, id, outcome.Epochs, outcome.ValidPerplexity, outcome.Promotion.Promoted);
        }
        catch (OperationCanceledException) when (live.Cancellation.IsCancellationRequested)
        {
            _board.End(live, live.Record with { Status = JobStatus.Cancelled, FinishedUtc = DateTimeOffset.UtcNow, Error = "Cancelled while running (DELETE /jobs/{id})." });
            LogCancelled(_logger, id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping: the record stays "running" and the job resumes from its last checkpoint at the next start.
            LogInterrupted(_logger, id);
            JobBoard.Release(live);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            _board.Fail(live, $"Ran longer than RnnLm:MaxJobMinutes ({_options.MaxJobMinutes} minutes); lower maxEpochs or raise the limit.", null);
        }
        catch (Exception e) when (Storage.Translate(e, "The job's progress, checkpoint or model cannot be saved") is { } fault)
        {
            // Checkpoints are replaced whole (written aside, then renamed), so the last complete one is intact for a resume.
            _board.Fail(live, $"{fault.Message} Training stopped; submit the job again once that is fixed.", e);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or ModelFormatException or ModelLoadException)
        {
            _board.Fail(live, e.Message, null);
        }
        catch (Exception e)
        {
            _board.Fail(live, $"Training failed unexpectedly: {e.Message}", e);
        }
    }

    // Trains, publishes the model under the job's id and promotes it when asked.
    private JobResult Train(LiveJob live, CancellationToken cancellationToken)
    {
        var id = live.Record.Id;
        var checkpoints = _files.CheckpointsOf(id);
        var settings = live.Record.Settings;
        var (train, valid) = _files.Read(live.Record);
        var options = settings.Training;
        LogStarted(_logger, id, train.Count, valid.Count, Directory.Exists(checkpoints));
        var result = new Trainer(options, ProgressOf(live)).Train(train, valid, checkpoints, resume: true, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var model = result.Model;
        var scores = ModelPublisher.Score(model, new TrainingTexts(train, valid), options.Threads);
        var record = live.Record;
        var label = new PublishedAs(record.Name,
            $"{record.Data.Source} ({train.Count:N0} sentences), validation {record.Data.Validation} ({valid.Count:N0} sentences)", $"POST /jobs (job {id})");
        _registry.Register(id, model, path => ModelPublisher.Card(result, options, scores, path, label));

        var validPerplexity = scores.Valid.Perplexity;
        var promotion = _promotion.Apply(id, settings.Promote, model, valid, settings.Training.Threads, validPerplexity);
        return new JobResult(id, result.Epochs, Math.Round(result.Seconds, 2), Math.Round(result.WordsPerSecond), validPerplexity, scores.Train.Perplexity,
            model.Shape.VocabularySize, result.ResumedFromEpoch, promotion);
    }

    // The trainer's progress, shown to watchers at once and recorded at the end of each epoch and every PersistInterval.
    private Action<TrainingProgress> ProgressOf(LiveJob live)
    {
        var lastPersist = DateTime.UtcNow;
        return progress =>
        {
            var now = DateTime.UtcNow;
            var persist = progress.EpochDone || now - lastPersist >= PersistInterval;
            lastPersist = persist ? now : lastPersist;
            _board.Publish(live, live.Record with
            {
                Progress = new JobProgress(progress.Epoch, progress.Fraction, progress.WordsPerSecond, progress.TrainEntropy, progress.Alpha,
                    [.. progress.ValidPerplexity], progress.Eta.TotalSeconds, DateTimeOffset.UtcNow, progress.TrainPerplexity is { } train ? [.. train] : null),
            }, persist);
        };
    }

    [LoggerMessage(LogLevel.Information, "Job {JobId} started: {Train} training and {Valid} validation sentences (checkpoint present: {Resuming})")]
    private static partial void LogStarted(ILogger logger, string jobId, int train, int valid, bool resuming);

    [LoggerMessage(LogLevel.Information, "Job {JobId} succeeded: {Epochs} epochs, valid perplexity {Perplexity:F2}, promoted {Promoted}")]
    private static partial void LogSucceeded(ILogger logger, string jobId, int epochs, double perplexity, bool promoted);

    [LoggerMessage(LogLevel.Information, "Job {JobId} cancelled")]
    private static partial void LogCancelled(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Information, "Job {JobId} interrupted by shutdown; it resumes at the next start")]
    private static partial void LogInterrupted(ILogger logger, string jobId);
}
