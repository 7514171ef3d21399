using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace RnnLm.Api.Tests;

/// <summary>A clock that stands still until a test moves it: session expiry without sleeping.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>Requests to the sessions' endpoints, and applications with session settings of their own.</summary>
internal static class SessionKit
{
    /// <summary>The tiny model's API with <paramref name="settings"/> and, when given, a clock of the test's.</summary>
    public static WebApplicationFactory<Program> App(RnnLmApplication app, TimeProvider? time = null) =>
        time is null ? app : app.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton(time)));

    public static RnnLmApplication Tiny(params (string Key, string Value)[] settings) =>
        new(settings.ToDictionary(s => $"RnnLm:{s.Key}", s => (string?)s.Value));

    public static async Task<(HttpResponseMessage Response, JsonElement Json)> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body, RnnLmApplication.Json);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Creates a session and returns its answer, failing on anything but 201.</summary>
    public static async Task<JsonElement> CreateAsync(HttpClient client, object? body = null)
    {
        var (response, json) = await PostAsync(client, "/sessions", body ?? new { });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {json}");
        Assert.Equal($"/sessions/{json.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
        return json;
    }

    /// <summary>Adds tokens to a session and returns its answer, failing on anything but 200.</summary>
    public static async Task<JsonElement> FeedAsync(HttpClient client, string id, params string[] tokens)
    {
        var (response, json) = await PostAsync(client, $"/sessions/{id}/tokens", new { tokens });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {json}");
        return json;
    }

    /// <summary>GETs a path and returns its answer, failing on anything but 200.</summary>
    public static async Task<JsonElement> GetOkAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static double[] LogProbs(JsonElement answer) => [.. answer.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("logProb").GetDouble())];

    public static string[] Tokens(JsonElement answer) => [.. answer.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()!)];

    /// <summary>The log-probability of every token of the sentences, </s> included, as POST /score answers them.</summary>
    public static async Task<double[]> ScoredAsync(HttpClient client, IReadOnlyList<string[]> sentences)
    {
        var (response, json) = await PostAsync(client, "/score", new { tokens = sentences });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {json}");
        return [.. json.GetProperty("sentences").EnumerateArray().SelectMany(LogProbs)];
    }

    /// <summary>A problem's status and the one field it names.</summary>
    public static (HttpStatusCode Status, string Field) StatusAndField(HttpResponseMessage response, JsonElement json)
    {
        var (status, field, _) = Problem(response, json);
        return (status, field);
    }

    /// <summary>A problem's status, field and message.</summary>
    public static (HttpStatusCode Status, string Field, string Message) Problem(HttpResponseMessage response, JsonElement json)
    {
        var error = json.GetProperty("errors").EnumerateObject().Single();
        return (response.StatusCode, error.Name, error.Value[0].GetString()!);
    }
}
