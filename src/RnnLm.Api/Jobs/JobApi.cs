using System.ComponentModel;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Models;
using RnnLm.Engine.Model;
using RnnLm.Engine.Training;

namespace RnnLm.Api.Jobs;

public static class JobApi
{
    /// <summary>Most tokens in one line of training text.</summary>
    public const int MaxTrainingTokensPerSentence = 10_000;

    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/jobs").WithDescribedTag("Jobs", "Train a model on the Brown corpus or on your own text in the background, follow its progress, cancel it.");
        group.MapPost("", Submit)
            .WithName("SubmitJob")
            .WithSummary("Start a training job")
            .WithDescription("Queues a job that trains a model on the built-in Brown corpus (`corpus: \"brown\"`) or on text you send: as JSON (`train`, one "
                + "tokenized sentence a string) or as multipart/form-data (a file field `train`, one sentence a line, optionally a file field `valid`, and the "
                + "settings as a JSON field `settings`). Validation text is `valid`, or `validFraction` of the training sentences held out (0.1 by default). "
                + "Answers 202 with Location: /jobs/{id}. A full queue (RnnLm:MaxQueuedJobs) answers 429 with Retry-After; a replica with training turned off "
                + "(RnnLm:TrainingEnabled=false) answers 503, and so does a data directory that cannot be used; a full disk answers 507, leaving nothing of the job behind. "
                + "The body may be up to RnnLm:MaxTrainingBytes. Needs the X-Api-Key header.")
            .Accepts<JobRequest>("application/json", "multipart/form-data")
            .Produces<JobResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage)
            .WithMetadata(new LargeBodyMetadata())
            .RequireApiKey();
        group.MapGet("", List)
            .WithName("ListJobs")
            .WithSummary("All jobs, newest first")
            .WithDescription("Every job the data directory's database holds, finished ones included, with status, progress and results. "
                + "A database that cannot be read answers 503 saying why, never an empty list.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("{id}", Get)
            .WithName("GetJob")
            .WithSummary("One job: status, progress, result")
            .WithDescription("Status (queued, running, succeeded, failed, cancelled); progress (epoch, fraction of the epoch, words/s, train entropy, alpha, "
                + "validation and training perplexity after each epoch, ETA); timestamps; the result and the registered model's id once it has succeeded; the error when it failed; "
                + "when its stored text was removed.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("{id}/events", Events)
            .WithName("JobEvents")
            .WithSummary("Follow a job as Server-Sent Events")
            .WithDescription("A text/event-stream of `job` events, each the job as GET /jobs/{id} returns it: one at once, then one per progress report "
                + "(about twice a second while it trains, and after each epoch), ending after the job ends.")
            .Produces<JobResponse>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapDelete("{id}", Delete)
            .WithName("CancelJob")
            .WithSummary("Cancel a job, or remove an ended job's stored text")
            .WithDescription("On a queued or running job: stops it (a running one within a training block, well under a second) and answers with its record, "
                + "status cancelled. On a job that has ended (succeeded, failed or cancelled): removes the text it was sent and any checkpoints from the data "
                + "directory and answers with its record, `filesRemovedUtc` set; the record stays, and so does the model it trained (DELETE /models/{id} "
                + "removes that, and the text with it). Deleting again changes nothing. A job queued or running on another instance answers 409; a data "
                + "directory that cannot be written answers 503 (507 when its disk is full). Needs the X-Api-Key header.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage)
            .RequireApiKey();
        return app;
    }

    public static async Task<Results<Accepted<JobResponse>, ValidationProblem, ProblemHttpResult>> Submit(
        HttpRequest request, JobManager jobs, TrainingSettings catalog, IOptions<RnnLmOptions> options, IOptions<JsonOptions> json)
    {
        if (!jobs.TrainingEnabled)
        {
            return ProblemDetailsSetup.Result(StatusCodes.Status503ServiceUnavailable, "Training is turned off", "jobs",
                "This instance does not train (RnnLm:TrainingEnabled is false); send jobs to the trainer instance.");
        }

        // Before reading a body of up to RnnLm:MaxTrainingBytes that could not be kept anyway.
        if (jobs.Unavailable is { } unavailable)
        {
            throw unavailable;
        }

        var errors = new ValidationErrors();
        JobRequest? job;
        IReadOnlyList<string>? trainLines, validLines;
        if (request.HasFormContentType)
        {
            (job, trainLines, validLines) = await JobUpload.ReadAsync(request, json.Value.SerializerOptions, errors);
        }
        else if (request.HasJsonContentType())
        {
            job = await ReadJsonAsync<JobRequest>(request, json.Value.SerializerOptions);
            (trainLines, validLines) = (job?.Train, job?.Valid);
        }
        else
        {
            return ProblemDetailsSetup.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type",
                "Send the job as JSON (Content-Type: application/json) or as multipart/form-data with a file field train.");
        }

        if (job is null && errors.IsEmpty)
        {
            errors.Add("body", "A JSON body is required.");
        }

        var submission = job is null || !errors.IsEmpty ? null : Validate(job, trainLines, validLines, jobs, catalog, errors);
        if (submission is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The job cannot be started.");
        }

        var (outcome, created) = jobs.Submit(submission.Value.Submission, submission.Value.Data);
        return outcome switch
        {
            SubmitOutcome.Accepted => TypedResults.Accepted($"/jobs/{created!.Id}", created),
            SubmitOutcome.TrainingDisabled => ProblemDetailsSetup.Result(StatusCodes.Status503ServiceUnavailable, "Training is turned off", "jobs", "This instance does not train."),
            _ => QueueFull(request.HttpContext, options.Value.MaxQueuedJobs),
        };
    }

    public static Ok<JobListResponse> List(JobManager jobs) => TypedResults.Ok(new JobListResponse(jobs.List()));

    public static Results<Ok<JobResponse>, ProblemHttpResult> Get([Description("The job's id, as POST /jobs returned it.")] string id, JobManager jobs) =>
        jobs.Find(id) is { } job ? TypedResults.Ok(job) : NotFound(id);

    public static Results<ServerSentEventsResult<JobResponse>, ProblemHttpResult> Events([Description("The job's id.")] string id, JobManager jobs, HttpContext context)
    {
        if (jobs.Find(id) is null)
        {
            return NotFound(id);
        }

        return TypedResults.ServerSentEvents(Stream(jobs, id, context.RequestAborted));

        static async IAsyncEnumerable<SseItem<JobResponse>> Stream(JobManager jobs, string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            long sequence = 0;
            await foreach (var job in jobs.WatchAsync(id, cancellationToken))
            {
                yield return new SseItem<JobResponse>(job, "job") { EventId = (++sequence).ToString(CultureInfo.InvariantCulture) };
            }
        }
    }

    public static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> Delete([Description("The job's id.")] string id, JobManager jobs)
    {
        var (outcome, job) = await jobs.DeleteAsync(id, CancelWait);
        return outcome switch
        {
            DeleteOutcome.NotFound => NotFound(id),
            DeleteOutcome.NotHere => ProblemDetailsSetup.Result(StatusCodes.Status409Conflict, "The job runs elsewhere", "id",
                $"Job '{id}' is {job!.Status.ToString().ToLowerInvariant()}, but not on this instance; cancel it on the one that trains (RnnLm:TrainingEnabled=true)."),
            _ => TypedResults.Ok(job!),
        };
    }

    /// <summary>Checks a request and turns it into settings; null (with errors naming each field) when it cannot be run.</summary>
    internal static (JobSubmission Submission, JobData Data)? Validate(JobRequest r, IReadOnlyList<string>? trainLines, IReadOnlyList<string>? validLines, JobManager jobs, TrainingSettings catalog, ValidationErrors errors)
    {
        if (r.Name is { } name && (name.Length > 100 || !errors.CheckText("name", name)))
        {
            errors.Add("name", "Must be 1 to 100 characters of text.");
        }

        var training = JobSettingsReader.Read(catalog, r.Preset, r.Settings, errors);

        if (r.ValidFraction is { } fraction && HeldOut.Check(fraction) is { } problem)
        {
            errors.Add("validFraction", problem);
        }

        JobData? data = null;
        IReadOnlyList<string[]>? train = null, valid = null;
        if (r.Corpus is not null)
        {
            if (r.Corpus != "brown")
            {
                errors.Add("corpus", $"Unknown corpus {ValidationErrors.Quote(r.Corpus)}; the built-in corpus is \"brown\".");
            }
            else if (trainLines is not null || validLines is not null || r.ValidFraction is not null)
            {
                errors.Add("corpus", "The Brown corpus brings its own training and validation text; leave out train, valid and validFraction.");
            }
            else if (!File.Exists(Path.Combine(jobs.BrownDirectory, "train.txt")) || !File.Exists(Path.Combine(jobs.BrownDirectory, "valid.txt")))
            {
                errors.Add("corpus", $"The Brown corpus is not installed on this server (RnnLm:BrownDirectory, '{jobs.BrownDirectory}').");
            }
            else
            {
                data = new JobData("brown", CountLines(Path.Combine(jobs.BrownDirectory, "train.txt")), CountLines(Path.Combine(jobs.BrownDirectory, "valid.txt")), "corpus valid.txt");
            }
        }
        else if (trainLines is null)
        {
            errors.Add("train", "Send the training text (train), or corpus: \"brown\".");
        }
        else
        {
            if (validLines is not null && r.ValidFraction is not null)
            {
                errors.Add("validFraction", "Send either valid or validFraction, not both.");
            }

            train = Sentences(errors, "train", trainLines);
            valid = validLines is null ? null : Sentences(errors, "valid", validLines);
            var heldOut = valid is null ? r.ValidFraction ?? HeldOut.DefaultFraction : (double?)null;
            if (train is not null && heldOut is not null && train.Count < 2)
            {
                errors.Add("train", "Holding out validation text needs at least two sentences; send more, or a valid text.");
            }

            if (train is not null)
            {
                var validCount = valid?.Count ?? HeldOut.Count(train.Count, heldOut ?? HeldOut.DefaultFraction);
                data = new JobData("text", train.Count - (valid is null ? validCount : 0), validCount,
                    valid is null ? string.Create(CultureInfo.InvariantCulture, $"held out {heldOut * 100:0.##}% of train") : "sent text");
            }
        }

        if (!errors.IsEmpty || data is null || training is null)
        {
            return null;
        }

        var settings = new JobSettings(training, data.Source == "text" && valid is null ? r.ValidFraction ?? HeldOut.DefaultFraction : null, r.Promote);
        return (new JobSubmission(r.Name, settings, train, valid), data);
    }

    private static IReadOnlyList<string[]>? Sentences(ValidationErrors errors, string field, IReadOnlyList<string> lines)
    {
        var sentences = new List<string[]>(lines.Count);
        var valid = true;
        for (var i = 0; i < lines.Count && !errors.IsFull; i++)
        {
            var line = lines[i];
            if (line is null)
            {
                errors.Add($"{field}[{i}]", "Must not be null.");
                valid = false;
                continue;
            }

            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            valid &= errors.CheckSentence($"{field}[{i}]", tokens, MaxTrainingTokensPerSentence);
            sentences.Add(tokens);
        }

        if (valid && sentences.Count == 0)
        {
            errors.Add(field, "Must hold at least one sentence.");
        }

        return valid && sentences.Count > 0 ? sentences : null;
    }

    internal static async Task<T?> ReadJsonAsync<T>(HttpRequest request, JsonSerializerOptions json)
    {
        try
        {
            return await request.ReadFromJsonAsync<T>(json, request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            // The exception handler names the field from the JSON path, as for bodies bound by the framework.
            throw new BadHttpRequestException("The body is not valid JSON.", StatusCodes.Status400BadRequest, e);
        }
    }

    private static int CountLines(string path) => File.ReadLines(path).Count(line => !string.IsNullOrWhiteSpace(line));

    private static ProblemHttpResult QueueFull(HttpContext context, int max)
    {
        context.Response.Headers.RetryAfter = "30";
        return ProblemDetailsSetup.Result(StatusCodes.Status429TooManyRequests, "The job queue is full", "jobs",
            $"{max:N0} jobs are already waiting (RnnLm:MaxQueuedJobs); try again when one has started (Retry-After: 30 s).");
    }

    private static ProblemHttpResult NotFound(string id) =>
        ProblemDetailsSetup.Result(StatusCodes.Status404NotFound, "No such job", "id", $"There is no job {ValidationErrors.Quote(id)}; GET /jobs lists them.");
}
