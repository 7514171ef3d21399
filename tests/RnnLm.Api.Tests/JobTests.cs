using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RnnLm.Engine.IO;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>Training jobs end to end through HTTP, each test on a server of its own (jobs change the active model).</summary>
public sealed class JobTests
{
    [Fact]
    public async Task AJobReportsProgressSucceedsRegistersItsModelAndTheModelCanBeActivated()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();

        var (response, submitted) = await SubmitAsync(client, QuickJob("first"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal($"/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("queued", Status(submitted));
        Assert.Equal("first", submitted.GetProperty("name").GetString());

        var job = await WaitForEndAsync(client, id);
        Assert.Equal("succeeded", Status(job));
        Assert.Equal(3, EpochsDone(job));
        var result = job.GetProperty("result");
        Assert.Equal(id, result.GetProperty("modelId").GetString());
        Assert.Equal(3, result.GetProperty("epochs").GetInt32());
        Assert.Equal(0, result.GetProperty("resumedFromEpoch").GetInt32());
        Assert.False(result.GetProperty("promotion").GetProperty("promoted").GetBoolean());
        Assert.True(job.GetProperty("startedUtc").GetDateTimeOffset() <= job.GetProperty("finishedUtc").GetDateTimeOffset());
        var validPerplexity = result.GetProperty("validPerplexity").GetDouble();
        Assert.True(validPerplexity < result.GetProperty("vocabularySize").GetInt32() / 2.0, $"the job learned nothing: {job}");
        Assert.Contains(job.GetProperty("progress").GetProperty("validPerplexity").EnumerateArray(), p => p.GetDouble() == validPerplexity);

        // Registered, with a card, not active yet; the engine reads the file and agrees with the job's perplexity.
        var listed = await client.GetFromJsonAsync<JsonElement>("/models");
        Assert.Equal("tiny", listed.GetProperty("activeId").GetString());
        var registered = listed.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == id);
        Assert.Equal("trained", registered.GetProperty("source").GetString());
        Assert.False(registered.GetProperty("active").GetBoolean());
        Assert.Equal("first", registered.GetProperty("name").GetString());
        var modelPath = Path.Combine(app.Folder, "data", "models", id + ".rnnlm");
        Assert.Equal(ModelCard.HashFile(modelPath), registered.GetProperty("card").GetProperty("sha256").GetString());
        var valid = ((string[])QuickJob()["valid"]!).Select(s => s.Split(' ')).ToArray();
        Assert.Equal(validPerplexity, ModelFile.Load(modelPath).ScoreCorpus(valid).Perplexity, 9);

        // Until it is activated, model=ID reaches it; afterwards it answers by default.
        var byId = await client.GetFromJsonAsync<JsonElement>($"/next?prefix=the&top=3&model={id}");
        Assert.Equal(id, byId.GetProperty("model").GetString());
        Assert.Equal("tiny", (await client.GetFromJsonAsync<JsonElement>("/next?prefix=the")).GetProperty("model").GetString());

        var activation = await client.PostAsync($"/models/{id}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activation.StatusCode);
        var activated = await activation.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("tiny", activated.GetProperty("previousId").GetString());
        Assert.Equal(id, (await client.GetFromJsonAsync<JsonElement>("/model")).GetProperty("id").GetString());
        Assert.Equal(id, (await client.GetFromJsonAsync<JsonElement>("/next?prefix=the")).GetProperty("model").GetString());
        var score = await client.PostAsJsonAsync("/score?model=tiny", new { text = "the cat sees it ." });
        Assert.Equal("tiny", (await score.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("model").GetString());

        // The active model and the shipped one cannot be deleted; a trained one that is not active can.
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/models/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync("/models/tiny")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/models/tiny/activate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/models/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/models/{id}")).StatusCode);
        Assert.False(File.Exists(modelPath));
        var gone = await client.GetAsync($"/next?prefix=the&model={id}");
        Assert.Equal(HttpStatusCode.BadRequest, gone.StatusCode);
        Assert.Contains("\"model\"", await gone.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheEventStreamSendsProgressUntilTheJobEnds()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, QuickJob());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{id}/events");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<JsonElement>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
            }
            else
            {
                Assert.True(line.Length == 0 || line == "event: job" || line.StartsWith("id: ", StringComparison.Ordinal), line);
            }
        }

        Assert.True(events.Count >= 2, $"{events.Count} events");
        Assert.All(events, e => Assert.Equal(id, e.GetProperty("id").GetString()));
        Assert.Equal("succeeded", Status(events[^1]));
        Assert.Equal(3, EpochsDone(events[^1]));
        Assert.Contains(events, e => Status(e) == "running" && EpochsDone(e) >= 1);

        // A finished job's stream is its final record, once.
        var again = await client.GetStringAsync($"/jobs/{id}/events");
        Assert.Single(again.Split('\n'), l => l.StartsWith("data: ", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/jobs/j0000/events")).StatusCode);
    }

    [Fact]
    public async Task CancellingARunningJobStopsItWithinASecondAndAQueuedOneBeforeItStarts()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var running = await SubmitOkAsync(client, SlowJob("long"));
        var queued = await SubmitOkAsync(client, QuickJob("waiting"));
        await WaitAsync(client, running, job => Status(job) == "running" && job.GetProperty("progress").ValueKind == JsonValueKind.Object);
        Assert.Equal("queued", Status(await GetJobAsync(client, queued)));

        var cancelQueued = await client.DeleteAsync($"/jobs/{queued}");
        Assert.Equal(HttpStatusCode.OK, cancelQueued.StatusCode);
        var cancelledBeforeStart = await cancelQueued.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", Status(cancelledBeforeStart));
        Assert.Equal(JsonValueKind.Null, cancelledBeforeStart.GetProperty("startedUtc").ValueKind);

        var clock = Stopwatch.StartNew();
        var cancel = await client.DeleteAsync($"/jobs/{running}");
        var stopped = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        clock.Stop();
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", Status(stopped));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cancelling took {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(JsonValueKind.Null, stopped.GetProperty("modelId").ValueKind);

        // Both stay cancelled (a second DELETE removes the text an ended job kept), and neither registered a model.
        Assert.Equal("cancelled", Status(await GetJobAsync(client, queued)));
        var again = await client.DeleteAsync($"/jobs/{running}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("cancelled", Status(await again.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/jobs/j0000")).StatusCode);
        var models = await client.GetFromJsonAsync<JsonElement>("/models");
        Assert.Single(models.GetProperty("models").EnumerateArray());
        Assert.False(Directory.Exists(Path.Combine(app.Folder, "data", "jobs", running))); // the second DELETE removed its text
    }

    [Fact]
    public async Task AFullQueueAnswers429WithRetryAfter()
    {
        using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:MaxQueuedJobs"] = "1" });
        var client = app.CreateManagementClient();
        var running = await SubmitOkAsync(client, SlowJob());
        await WaitAsync(client, running, job => Status(job) == "running");
        var waiting = await SubmitOkAsync(client, QuickJob());

        var (response, problem) = await SubmitAsync(client, QuickJob());

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        Assert.Contains("MaxQueuedJobs", problem.GetProperty("detail").GetString());
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement>("/jobs")).GetProperty("jobs").GetArrayLength());
        await client.DeleteAsync($"/jobs/{waiting}");
        await client.DeleteAsync($"/jobs/{running}");
    }

    [Fact]
    public async Task AnUnwritableDataDirectoryTurnsJobsOffWithAReasonAndServingGoesOn()
    {
        var file = Path.GetTempFileName(); // a file where the data directory should be
        try
        {
            using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:DataDirectory"] = file });
            var client = app.CreateManagementClient();

            var (response, problem) = await SubmitAsync(client, QuickJob());
            var activation = await client.PostAsync("/models/tiny/activate", null);

            var (list, listProblem) = await app.SendAsync(HttpMethod.Get, "/jobs");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("RnnLm__DataDirectory", problem.GetProperty("detail").GetString());
            Assert.DoesNotContain(file, problem.GetProperty("detail").GetString());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, activation.StatusCode);
            Assert.Contains("RnnLm__DataDirectory", await activation.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode); // not an empty list: the store cannot be read
            Assert.StartsWith("The job store cannot be read", listProblem.GetProperty("detail").GetString());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/next?prefix=the")).StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task AJobThatRunsPastMaxJobMinutesFailsSayingSo()
    {
        using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:MaxJobMinutes"] = "0.01" });
        var client = app.CreateManagementClient();

        var job = await WaitForEndAsync(client, await SubmitOkAsync(client, SlowJob()));

        Assert.Equal("failed", Status(job));
        Assert.Contains("MaxJobMinutes", job.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("modelId").ValueKind);
    }

    [Fact]
    public async Task AReplicaWithTrainingTurnedOffAnswers503()
    {
        using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:TrainingEnabled"] = "false" });

        var (response, problem) = await SubmitAsync(app.CreateManagementClient(), QuickJob());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("TrainingEnabled", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task PromoteIfBetterActivatesABetterModelAndKeepsTheActiveOneOtherwise()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();

        // The shipped test model has random weights: a trained model beats it on the job's validation text.
        var better = await SubmitOkAsync(client, With(QuickJob("better"), ("promote", "ifBetter")));
        var promoted = (await WaitForEndAsync(client, better)).GetProperty("result").GetProperty("promotion");
        Assert.True(promoted.GetProperty("promoted").GetBoolean(), promoted.ToString());
        Assert.Equal("tiny", promoted.GetProperty("activeModelId").GetString());
        Assert.True(promoted.GetProperty("newPerplexity").GetDouble() < promoted.GetProperty("activePerplexity").GetDouble());
        Assert.Equal(better, (await client.GetFromJsonAsync<JsonElement>("/model")).GetProperty("id").GetString());

        // One epoch at a negligible learning rate leaves a near-uniform model: worse, so the better one stays active.
        var worse = await SubmitOkAsync(client, With(QuickJob("worse"), ("promote", "ifBetter"), ("alpha", 1e-6), ("maxEpochs", 1)));
        var kept = (await WaitForEndAsync(client, worse)).GetProperty("result").GetProperty("promotion");
        Assert.False(kept.GetProperty("promoted").GetBoolean(), kept.ToString());
        Assert.Equal(better, kept.GetProperty("activeModelId").GetString());
        Assert.True(kept.GetProperty("newPerplexity").GetDouble() > kept.GetProperty("activePerplexity").GetDouble());
        Assert.Contains("does not beat", kept.GetProperty("reason").GetString());
        Assert.Equal(better, (await client.GetFromJsonAsync<JsonElement>("/model")).GetProperty("id").GetString());
        Assert.Equal(3, (await client.GetFromJsonAsync<JsonElement>("/models")).GetProperty("models").GetArrayLength());
    }

    [Fact]
    public async Task JobsAndTheActiveModelSurviveARestartOnTheSameDataDirectory()
    {
        var folder = Directory.CreateTempSubdirectory("rnnlm-api-restart-").FullName;
        string id;
        using (var first = new RnnLmApplication(null, folder))
        {
            var client = first.CreateManagementClient();
            id = await SubmitOkAsync(client, QuickJob("kept"));
            Assert.Equal("succeeded", Status(await WaitForEndAsync(client, id)));
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/models/{id}/activate", null)).StatusCode);
        }

        try
        {
            using var second = new RnnLmApplication(null, folder);
            var client = second.CreateClient();
            var job = await GetJobAsync(client, id);
            Assert.Equal("succeeded", Status(job));
            Assert.Equal("kept", job.GetProperty("name").GetString());
            Assert.Equal(id, (await client.GetFromJsonAsync<JsonElement>("/model")).GetProperty("id").GetString());
            Assert.Single((await client.GetFromJsonAsync<JsonElement>("/jobs")).GetProperty("jobs").EnumerateArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AReadReplicaOnTheSameDataDirectoryFollowsTheTrainersActivations()
    {
        var folder = Directory.CreateTempSubdirectory("rnnlm-api-replica-").FullName;
        try
        {
            using var trainer = new RnnLmApplication(null, folder);
            using var replica = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:TrainingEnabled"] = "false", ["RnnLm:FollowActiveModelSeconds"] = "1" }, folder);
            var replicaClient = replica.CreateClient();
            Assert.Equal("tiny", (await replicaClient.GetFromJsonAsync<JsonElement>("/model")).GetProperty("id").GetString());

            var management = trainer.CreateManagementClient();
            var id = await SubmitOkAsync(management, QuickJob("followed"));
            Assert.Equal("succeeded", Status(await WaitForEndAsync(management, id)));
            Assert.Equal(HttpStatusCode.OK, (await management.PostAsync($"/models/{id}/activate", null)).StatusCode);

            var clock = Stopwatch.StartNew();
            while ((await replicaClient.GetFromJsonAsync<JsonElement>("/model")).GetProperty("id").GetString() != id)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the replica did not follow the activation");
                await Task.Delay(100);
            }

            Assert.Equal("succeeded", Status(await GetJobAsync(replicaClient, id)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TrainingTextCanBeUploadedAsFilesWithHeldOutValidation()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        using var form = new MultipartFormDataContent();
        var text = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', Corpus(300, 3)) + "\n\n"));
        text.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(text, "train", "corpus.txt");
        form.Add(new StringContent("""{"name":"uploaded","hidden":8,"embedding":8,"classes":4,"maxEpochs":2,"minCount":1,"validFraction":0.2}"""), "settings");

        var response = await client.PostAsync("/jobs", form);

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToString());
        var data = body.GetProperty("data");
        Assert.Equal("text", data.GetProperty("source").GetString());
        Assert.Equal(240, data.GetProperty("trainSentences").GetInt32());
        Assert.Equal(60, data.GetProperty("validSentences").GetInt32());
        Assert.Equal("held out 20% of train", data.GetProperty("validation").GetString());
        Assert.Equal(0.2, body.GetProperty("settings").GetProperty("validFraction").GetDouble());
        var job = await WaitForEndAsync(client, body.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", Status(job));
    }
}
