using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Tests;

/// <summary>
/// Trained models whose files are truncated or damaged: listed as unreadable with a problem a user can act on, refused with
/// 409 wherever they are named, never activated; and a damaged chosen model at start-up or on a read replica is reported
/// while the model serving keeps serving.
/// </summary>
public sealed class BrokenModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-broken-models-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ATruncatedModelIsListedAsUnreadableWithAProblemThatNamesNoPath()
    {
        WriteModel("good", cardRecordsFile: true);
        var recorded = WriteModel("cut", cardRecordsFile: true);
        Truncate("cut", 1000);
        WriteModel("bare", cardRecordsFile: false);
        Truncate("bare", 10);
        using var app = new RnnLmApplication(null, _folder);

        var listed = await app.GetOkAsync("/models");

        Assert.Equal("tiny", listed.GetProperty("activeId").GetString());
        Assert.Equal("tiny", listed.GetProperty("chosenId").GetString());
        var models = listed.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal(new HashSet<string>(["tiny", "good", "cut", "bare"]), models.Keys.ToHashSet());
        Assert.Equal("ready", models["tiny"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, models["tiny"].GetProperty("problem").ValueKind);
        Assert.True(models["tiny"].GetProperty("active").GetBoolean() && models["tiny"].GetProperty("chosen").GetBoolean());
        Assert.Equal("ready", models["good"].GetProperty("status").GetString());
        Assert.Equal("unreadable", models["cut"].GetProperty("status").GetString());
        Assert.Equal(
            $"The file is {recorded - 1000:N0} bytes but its card records {recorded:N0}: it was cut short or overwritten. "
            + "Delete the model (DELETE /models/cut) and train it again, or restore its file.",
            models["cut"].GetProperty("problem").GetString());
        Assert.Equal("unreadable", models["bare"].GetProperty("status").GetString());
        Assert.StartsWith("It is not a loadable model: the file is truncated", models["bare"].GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_folder, listed.ToString(), StringComparison.Ordinal);

        var one = await app.GetOkAsync("/models/cut");
        Assert.Equal("unreadable", one.GetProperty("status").GetString());
        Assert.Equal(models["cut"].GetProperty("problem").GetString(), one.GetProperty("problem").GetString());
        Assert.False(one.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task ScoringPredictingOrGeneratingWithAnUnreadableModelAnswers409NamingTheModel()
    {
        WriteModel("good", cardRecordsFile: true);
        WriteModel("cut", cardRecordsFile: true);
        Truncate("cut", 1);
        WriteModel("bare", cardRecordsFile: false);
        Truncate("bare", 1);
        using var app = new RnnLmApplication(null, _folder);

        foreach (var id in new[] { "cut", "bare" })
        {
            foreach (var (method, path, body) in Requests(id))
            {
                var (response, problem) = await app.SendAsync(method, path, body);

                Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{method} {path}: {(int)response.StatusCode} {problem}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(409, problem.GetProperty("status").GetInt32());
                Assert.Equal("The model cannot be loaded", problem.GetProperty("title").GetString());
                var message = problem.GetProperty("errors").GetProperty("model")[0].GetString()!;
                Assert.StartsWith($"Model '{id}' cannot be loaded. ", message, StringComparison.Ordinal);
                Assert.Contains($"DELETE /models/{id}", message, StringComparison.Ordinal);
                Assert.DoesNotContain(_folder, problem.ToString(), StringComparison.Ordinal);
            }
        }

        foreach (var (method, path, body) in Requests("good"))
        {
            var (response, json) = await app.SendAsync(method, path, body);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {json}");
            Assert.Equal("good", json.GetProperty("model").GetString());
        }

        static (HttpMethod, string, string?)[] Requests(string id) =>
        [
            (HttpMethod.Post, $"/score?model={id}", """{"text": "The jury said it ."}"""),
            (HttpMethod.Get, $"/next?prefix=The%20jury&model={id}", null),
            (HttpMethod.Post, $"/generate?model={id}", """{"prefix": "The jury", "seed": 1}"""),
        ];
    }

    [Fact]
    public async Task TokenizingWithAnUnreadableModelIsRefusedAsScoringIs()
    {
        WriteModel("cut", cardRecordsFile: true);
        Truncate("cut", 1);
        using var app = new RnnLmApplication(null, _folder);

        var (tokenize, tokenizeProblem) = await app.SendAsync(HttpMethod.Post, "/tokenize?model=cut", """{"text": "The jury said it ."}""");
        var (score, scoreProblem) = await app.SendAsync(HttpMethod.Post, "/score?model=cut", """{"text": "The jury said it ."}""");

        Assert.Equal(HttpStatusCode.Conflict, tokenize.StatusCode);
        Assert.Equal(score.StatusCode, tokenize.StatusCode);
        Assert.Equal("The model cannot be loaded", tokenizeProblem.GetProperty("title").GetString());
        Assert.Equal(scoreProblem.GetProperty("errors").ToString(), tokenizeProblem.GetProperty("errors").ToString());
    }

    [Fact]
    public async Task ActivatingAnUnreadableModelIsRefusedAndChangesNothing()
    {
        WriteModel("cut", cardRecordsFile: true);
        Truncate("cut", 1000);
        using var app = new RnnLmApplication(null, _folder);

        var response = await app.CreateManagementClient().PostAsync("/models/cut/activate", null);

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.StartsWith("Model 'cut' cannot be loaded. The file is ", problem.GetProperty("errors").GetProperty("id")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("tiny", (await app.GetOkAsync("/model")).GetProperty("id").GetString());
        Assert.False(File.Exists(Path.Combine(_folder, "data", "active-model.json")));
        var listed = await app.GetOkAsync("/models");
        Assert.Equal("tiny", listed.GetProperty("activeId").GetString());
        Assert.Equal("tiny", listed.GetProperty("chosenId").GetString());
        Assert.Equal("Healthy", (await app.GetOkAsync("/health/ready")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AModelDamagedInPlaceIsListedAsUnreadableOnceALoadFindsTheChecksumWrong()
    {
        // Without a SHA-256 on its card only the header and length are checked, and both are intact here.
        WriteModel("flipped", cardRecordsFile: false);
        var path = ModelPath("flipped");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - 40] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        using var app = new RnnLmApplication(null, _folder);
        Assert.Equal("ready", (await app.GetOkAsync("/models/flipped")).GetProperty("status").GetString());

        var (response, problem) = await app.SendAsync(HttpMethod.Get, "/next?model=flipped");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var expected = "It is not a loadable model: checksum mismatch: the file is corrupted. Delete the model (DELETE /models/flipped) and train it again, or restore its file.";
        Assert.Equal($"Model 'flipped' cannot be loaded. {expected}", problem.GetProperty("errors").GetProperty("model")[0].GetString());
        var listed = await app.GetOkAsync("/models/flipped");
        Assert.Equal("unreadable", listed.GetProperty("status").GetString());
        Assert.Equal(expected, listed.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task RestoringAnUnreadableModelsFileMakesItReadyAgain()
    {
        WriteModel("cut", cardRecordsFile: true);
        var intact = File.ReadAllBytes(ModelPath("cut"));
        Truncate("cut", 1000);
        using var app = new RnnLmApplication(null, _folder);
        Assert.Equal("unreadable", (await app.GetOkAsync("/models/cut")).GetProperty("status").GetString());

        File.WriteAllBytes(ModelPath("cut"), intact);

        Assert.Equal("ready", (await app.GetOkAsync("/models/cut")).GetProperty("status").GetString());
        Assert.Equal("cut", (await app.GetOkAsync("/next?prefix=The&model=cut")).GetProperty("model").GetString());
    }

    [Fact]
    public async Task AChosenModelTruncatedBeforeARestartLeavesTheShippedModelServingAndReadyAndModelsSaySo()
    {
        WriteModel("chosen", cardRecordsFile: true);
        using (var first = new RnnLmApplication(null, _folder))
        {
            Assert.Equal(HttpStatusCode.OK, (await first.CreateManagementClient().PostAsync("/models/chosen/activate", null)).StatusCode);
        }

        Truncate("chosen", 1000);
        var choice = File.ReadAllText(Path.Combine(_folder, "data", "active-model.json"));
        using var app = new RnnLmApplication(null, _folder);
        var client = app.CreateClient();

        var ready = await client.GetAsync("/health/ready");

        var health = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        var check = health.GetProperty("checks").GetProperty("model");
        Assert.Equal("chosen", check.GetProperty("data").GetProperty("chosenId").GetString());
        Assert.Equal("tiny", check.GetProperty("data").GetProperty("servingId").GetString());
        var reason = check.GetProperty("data").GetProperty("reason").GetString()!;
        Assert.StartsWith("The file is ", reason, StringComparison.Ordinal);
        Assert.Contains("it was cut short or overwritten", reason, StringComparison.Ordinal);
        Assert.StartsWith("Model tiny is serving, not chosen, the model the last activation chose. ", check.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_folder, health.ToString(), StringComparison.Ordinal);

        var listed = await app.GetOkAsync("/models");
        Assert.Equal("tiny", listed.GetProperty("activeId").GetString());
        Assert.Equal("chosen", listed.GetProperty("chosenId").GetString());
        var models = listed.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.True(models["tiny"].GetProperty("active").GetBoolean());
        Assert.False(models["tiny"].GetProperty("chosen").GetBoolean());
        Assert.False(models["chosen"].GetProperty("active").GetBoolean());
        Assert.True(models["chosen"].GetProperty("chosen").GetBoolean());
        Assert.Equal("unreadable", models["chosen"].GetProperty("status").GetString());
        Assert.Equal(reason, models["chosen"].GetProperty("problem").GetString());

        string[] sentence = ["The", "jury", "said", "it", "."];
        var score = await app.PostOkAsync("/score", new { tokens = new[] { sentence } });
        Assert.Equal("tiny", score.GetProperty("model").GetString());
        Assert.Equal(app.Model.Score(sentence).LogProb, score.GetProperty("logProb").GetDouble(), 9);
        Assert.Equal(choice, File.ReadAllText(Path.Combine(_folder, "data", "active-model.json")));

        // Choosing again clears it.
        Assert.Equal(HttpStatusCode.OK, (await app.CreateManagementClient().PostAsync("/models/tiny/activate", null)).StatusCode);
        Assert.Equal("Healthy", (await app.GetOkAsync("/health/ready")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AReadReplicaKeepsServingWhenTheChosenModelIsBrokenAndFollowsItOnceItIsRestored()
    {
        WriteModel("next", cardRecordsFile: true);
        var intact = File.ReadAllBytes(ModelPath("next"));
        Truncate("next", 1000);
        using var replica = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:TrainingEnabled"] = "false", ["RnnLm:FollowActiveModelSeconds"] = "1" }, _folder);
        var client = replica.CreateClient();
        Assert.Equal("tiny", (await replica.GetOkAsync("/model")).GetProperty("id").GetString());

        // What a trainer sharing the data directory records when it activates a model (the file has since been damaged).
        File.WriteAllText(Path.Combine(_folder, "data", "active-model.json"), """{"Id":"next"}""");

        // Several follower ticks with the broken choice: the replica keeps serving, ready says why.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            var ready = await client.GetFromJsonAsync<JsonElement>("/health/ready");
            Assert.Equal("Degraded", ready.GetProperty("status").GetString());
            Assert.Contains("cut short", ready.GetProperty("checks").GetProperty("model").GetProperty("data").GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal("tiny", (await replica.GetOkAsync("/model")).GetProperty("id").GetString());
            await Task.Delay(100);
        }

        File.WriteAllBytes(ModelPath("next"), intact);

        while ((await replica.GetOkAsync("/model")).GetProperty("id").GetString() != "next")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the replica did not follow the restored model");
            await Task.Delay(100);
        }

        Assert.Equal("Healthy", (await replica.GetOkAsync("/health/ready")).GetProperty("status").GetString());
    }

    private string ModelPath(string id) => ModelPath(_folder, id);

    private long WriteModel(string id, bool cardRecordsFile) => WriteModel(_folder, id, cardRecordsFile);

    private void Truncate(string id, int bytes) => Truncate(_folder, id, bytes);

    /// <summary>Where a trained model lives in the data directory of an application serving <paramref name="folder"/>.</summary>
    internal static string ModelPath(string folder, string id) => Path.Combine(folder, "data", "models", id + ".rnnlm");

    /// <summary>
    /// A model as a job registers it (the tiny model's bytes under another id); with <paramref name="cardRecordsFile"/>, its card
    /// records the file's size and SHA-256 as a job's card does. Returns the file's size.
    /// </summary>
    internal static long WriteModel(string folder, string id, bool cardRecordsFile)
    {
        var path = ModelPath(folder, id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        RnnLmApplication.WriteTinyModel(path);
        if (cardRecordsFile)
        {
            (ModelCard.TryLoad(ModelCard.PathFor(path))! with { Name = id, Sha256 = ModelCard.HashFile(path), FileBytes = new FileInfo(path).Length })
                .Save(ModelCard.PathFor(path));
        }

        return new FileInfo(path).Length;
    }

    /// <summary>Cuts the last <paramref name="bytes"/> bytes off a trained model's file, as a full disk or an interrupted copy would.</summary>
    internal static void Truncate(string folder, string id, int bytes)
    {
        using var file = new FileStream(ModelPath(folder, id), FileMode.Open, FileAccess.Write);
        file.SetLength(file.Length - bytes);
    }
}
