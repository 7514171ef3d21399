using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RnnLm.Api.Sessions;
using static RnnLm.Api.Tests.SessionKit;

namespace RnnLm.Api.Tests;

/// <summary>What keeps sessions from taking the service over: idle expiry, the bounds on their number and memory, and one call at a time per session.</summary>
public sealed class SessionBoundsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ASessionExpiresWhenIdleAndOnlyAPostKeepsItAlive()
    {
        var time = new ManualTime(Start);
        using var tiny = Tiny(("SessionIdleMinutes", "1"));
        using var app = App(tiny, time);
        var client = app.CreateClient();
        var created = await CreateAsync(client, new { prefix = "The" });
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(Start + TimeSpan.FromMinutes(1), created.GetProperty("expiresUtc").GetDateTimeOffset());

        time.Advance(TimeSpan.FromSeconds(50));
        var fed = await FeedAsync(client, id, "jury");
        Assert.Equal(Start + TimeSpan.FromSeconds(110), fed.GetProperty("expiresUtc").GetDateTimeOffset());

        time.Advance(TimeSpan.FromSeconds(55));
        var state = await GetOkAsync(client, $"/sessions/{id}");
        Assert.Equal(Start + TimeSpan.FromSeconds(110), state.GetProperty("expiresUtc").GetDateTimeOffset());
        Assert.Equal(Start + TimeSpan.FromSeconds(50), state.GetProperty("lastUsedUtc").GetDateTimeOffset());
        Assert.Equal(Start, state.GetProperty("createdUtc").GetDateTimeOffset());

        time.Advance(TimeSpan.FromSeconds(5));
        var (response, json) = await PostAsync(client, $"/sessions/{id}/tokens", new { tokens = new[] { "said" } });
        var (status, field, message) = Problem(response, json);
        Assert.Equal((HttpStatusCode.NotFound, "id"), (status, field));
        Assert.Contains("expired after 1 minutes without a POST (RnnLm:SessionIdleMinutes)", message);
        Assert.Equal(0, app.Services.GetRequiredService<SessionStore>().Count);
    }

    [Fact]
    public async Task PastTheirNumberSessionsGet429UntilOneIsDeletedOrExpires()
    {
        var time = new ManualTime(Start);
        using var tiny = Tiny(("MaxSessions", "2"), ("SessionIdleMinutes", "10"));
        using var app = App(tiny, time);
        var client = app.CreateClient();
        var first = (await CreateAsync(client)).GetProperty("id").GetString()!;
        time.Advance(TimeSpan.FromMinutes(3));
        await CreateAsync(client);

        var (response, json) = await PostAsync(client, "/sessions", new { });
        var (status, field, message) = Problem(response, json);
        Assert.Equal((HttpStatusCode.TooManyRequests, "sessions"), (status, field));
        Assert.Contains("holds 2 sessions", message);
        Assert.Contains("RnnLm:MaxSessions", message);
        Assert.Equal("420", Assert.Single(response.Headers.GetValues("Retry-After"))); // the first expires 7 minutes from now
        Assert.Contains("420 s", message);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/sessions/{first}")).StatusCode);
        await CreateAsync(client);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(client, "/sessions", new { })).Response.StatusCode);

        // Once idle sessions have expired, they make room.
        time.Advance(TimeSpan.FromMinutes(10));
        await CreateAsync(client);
        Assert.Equal(1, app.Services.GetRequiredService<SessionStore>().Count);
    }

    [Fact]
    public async Task PastTheirMemorySessionsGet429AndTheCountComesBackToZero()
    {
        using var app = Tiny(("MaxSessionBytes", "65536"));
        var client = app.CreateClient();
        var store = app.Services.GetRequiredService<SessionStore>();
        var id = (await CreateAsync(client, new { prefix = "The" })).GetProperty("id").GetString()!;
        var word = new string('x', 1000); // about 2 KB kept a token
        var fed = await FeedAsync(client, id, [.. Enumerable.Repeat(word, 20)]);
        var held = (await GetOkAsync(client, $"/sessions/{id}")).GetProperty("bytes").GetInt64();
        Assert.Equal(held, store.Bytes);
        Assert.True(held > 20 * 2 * word.Length, $"{held} bytes cannot hold 20 tokens of {word.Length} characters");

        var (response, json) = await PostAsync(client, $"/sessions/{id}/tokens", new { tokens = Enumerable.Repeat(word, 20).ToArray() });
        var (status, field, message) = Problem(response, json);
        Assert.Equal((HttpStatusCode.TooManyRequests, "memory"), (status, field));
        Assert.Contains("RnnLm:MaxSessionBytes", message);
        Assert.True(response.Headers.Contains("Retry-After"));
        var state = await GetOkAsync(client, $"/sessions/{id}");
        Assert.Equal(fed.GetProperty("tokenCount").GetInt64(), state.GetProperty("tokenCount").GetInt64());
        Assert.Equal(held, store.Bytes);

        // A second session cannot take a prefix that does not fit, and is not kept.
        var (refused, _) = await PostAsync(client, "/sessions", new { prefix = string.Join(' ', Enumerable.Repeat(word, 20)) });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal((1, held), (store.Count, store.Bytes));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/sessions/{id}")).StatusCode);
        Assert.Equal((0, 0L), (store.Count, store.Bytes));
        var again = (await CreateAsync(client)).GetProperty("id").GetString()!;
        await FeedAsync(client, again, [.. Enumerable.Repeat(word, 20)]);
    }

    [Fact]
    public async Task CallsToOneSessionAtOnceRunOneAfterTheOther()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateClient();
        var id = (await CreateAsync(client)).GetProperty("id").GetString()!;
        string[] words = ["The", "jury", "said", "no", "evidence", "city", "found", "law", "It", "a", "new", "."];
        const int workers = 6, calls = 30;

        // Each call sends two tokens only its worker sends, the second of them </s> every fifth call.
        var answers = await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = new List<string[]>();
            for (var i = 0; i < calls; i++)
            {
                string[] tokens = [words[w], i % 5 == 4 ? "</s>" : words[w + workers]];
                await FeedAsync(client, id, tokens);
                mine.Add(tokens);
            }

            return mine;
        })));

        var state = await GetOkAsync(client, $"/sessions/{id}");
        var tokens = Tokens(state);
        Assert.Equal(workers * calls * 2, tokens.Length);
        Assert.Equal(workers * calls * 2, state.GetProperty("tokenCount").GetInt64());
        for (var i = 0; i < tokens.Length; i += 2)
        {
            var worker = Array.IndexOf(words, tokens[i]);
            Assert.True(tokens[i + 1] == words[worker + workers] || tokens[i + 1] == "</s>", $"tokens {i} and {i + 1} come from two calls: {tokens[i]} {tokens[i + 1]}");
        }

        // The session's state went through every call in turn: its scores are those of the text read in one go.
        var replay = app.Model.BeginStream().Feed(tokens).Select(t => t.LogProb).ToArray();
        var logProbs = LogProbs(state);
        for (var i = 0; i < tokens.Length; i++)
        {
            Assert.True(Math.Abs(replay[i] - logProbs[i]) <= 1e-9, $"token {i}: session {logProbs[i]:R}, replay {replay[i]:R}");
        }

        Assert.Equal(workers * calls / 5, state.GetProperty("sentenceCount").GetInt64());
        Assert.Equal(workers * calls, answers.Sum(a => a.Count));
    }
}
