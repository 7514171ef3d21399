using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RnnLm.Api.Tests;

/// <summary>Synthetic training text and the calls job tests make again and again.</summary>
internal static class JobKit
{
    /// <summary>Sentences from a small grammar: a model learns them quickly, and more of them make an epoch longer.</summary>
    public static string[] Corpus(int count, int seed)
    {
        var random = new Random(seed);
        string[] subjects = ["the cat", "the dog", "a bird", "my friend", "the old man", "she", "he", "the jury", "the city"];
        string[] verbs = ["sees", "likes", "follows", "hears", "finds", "said", "reported"];
        string[] objects = ["the ball", "a tree", "the river", "the red house", "it", "them", "no evidence", "a new law"];
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(3) switch
        {
            0 => $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]} .",
            1 => $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]} and {objects[random.Next(objects.Length)]} .",
            _ => $"where is {objects[random.Next(objects.Length)]} ?",
        })];
    }

    /// <summary>A job that finishes in well under a second.</summary>
    public static Dictionary<string, object?> QuickJob(string name = "quick", int seed = 1) => new()
    {
        ["name"] = name,
        ["train"] = Corpus(200, seed),
        ["valid"] = Corpus(40, seed + 100),
        ["hidden"] = 8,
        ["embedding"] = 8,
        ["classes"] = 4,
        ["streams"] = 1,
        ["alpha"] = 0.2,
        ["maxEpochs"] = 3,
        ["minCount"] = 1,
        ["seed"] = seed,
    };

    /// <summary>A job whose epochs take a while (thousands of sentences, a full softmax, many epochs): time to cancel or kill it.</summary>
    public static Dictionary<string, object?> SlowJob(string name = "slow", int epochs = 100) => new()
    {
        ["name"] = name,
        ["train"] = Corpus(6000, 7),
        ["valid"] = Corpus(300, 8),
        ["hidden"] = 48,
        ["embedding"] = 32,
        ["output"] = "full",
        ["streams"] = 1,
        ["maxEpochs"] = epochs,
        ["minImprovement"] = 1.0,
        ["minCount"] = 1,
    };

    /// <summary>A copy of a job with some fields changed (a null value removes the field).</summary>
    public static Dictionary<string, object?> With(Dictionary<string, object?> job, params (string Key, object? Value)[] changes)
    {
        var copy = new Dictionary<string, object?>(job);
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                copy.Remove(key);
            }
            else
            {
                copy[key] = value;
            }
        }

        return copy;
    }

    public static async Task<(HttpResponseMessage Response, JsonElement Json)> SubmitAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/jobs", body, RnnLmApplication.Json);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<string> SubmitOkAsync(HttpClient client, object body)
    {
        var (response, json) = await SubmitAsync(client, body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {json}");
        return json.GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> GetJobAsync(HttpClient client, string id) =>
        await client.GetFromJsonAsync<JsonElement>($"/jobs/{id}");

    /// <summary>Polls the job until <paramref name="done"/> holds, failing with the last record after <paramref name="timeout"/>.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient client, string id, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = await GetJobAsync(client, id);
            if (done(job))
            {
                return job;
            }

            Assert.True(clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(90)), $"job {id} did not get there in time: {job}");
            await Task.Delay(50);
        }
    }

    public static Task<JsonElement> WaitForEndAsync(HttpClient client, string id, TimeSpan? timeout = null) =>
        WaitAsync(client, id, job => Status(job) is "succeeded" or "failed" or "cancelled", timeout);

    public static string Status(JsonElement job) => job.GetProperty("status").GetString()!;

    public static int EpochsDone(JsonElement job) =>
        job.GetProperty("progress") is { ValueKind: JsonValueKind.Object } progress ? progress.GetProperty("validPerplexity").GetArrayLength() : 0;
}
