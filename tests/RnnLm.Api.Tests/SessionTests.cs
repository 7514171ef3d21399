using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using RnnLm.Engine.IO;
using static RnnLm.Api.Tests.SessionKit;

namespace RnnLm.Api.Tests;

/// <summary>Streaming sessions: their life, their agreement with POST /score, the model they keep, and the requests they refuse.</summary>
[Collection(ApiCollection.Name)]
public sealed class SessionTests(RnnLmApplication app)
{
    [Fact]
    public async Task ASessionLivesFromCreationToDeletionAndIsGoneAfter()
    {
        var client = app.CreateClient();
        var created = await CreateAsync(client, new { prefix = "The jury", top = 4 });
        var id = created.GetProperty("id").GetString()!;
        Assert.Matches("^s[0-9a-f]{32}$", id);
        Assert.Equal("tiny", created.GetProperty("model").GetString());
        Assert.Equal(["The", "jury"], Tokens(created));
        Assert.Equal(4, created.GetProperty("next").GetArrayLength());

        var fed = await FeedAsync(client, id, "said", "no", "evidence", ".", "</s>", "It", "Zyxqv");
        Assert.Equal(["said", "no", "evidence", ".", "</s>", "It", "Zyxqv"], Tokens(fed));
        Assert.Equal([false, false, false, false, false, false, true], fed.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("unknown").GetBoolean()));
        Assert.Equal(["It", "<unk>"], fed.GetProperty("sentence").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(9, fed.GetProperty("tokenCount").GetInt64());
        var logProb = LogProbs(created).Sum() + LogProbs(fed).Sum();
        Assert.Equal(logProb, fed.GetProperty("logProb").GetDouble(), 1e-9);
        Assert.Equal(Math.Exp(-logProb / 9), fed.GetProperty("perplexity").GetDouble(), 1e-9);

        var state = await app.GetOkAsync($"/sessions/{id}");
        Assert.Equal(["The", "jury", "said", "no", "evidence", ".", "</s>", "It", "Zyxqv"], Tokens(state));
        Assert.Equal([.. LogProbs(created), .. LogProbs(fed)], LogProbs(state));
        Assert.Equal((9L, 1L, 1L, 4), (state.GetProperty("tokenCount").GetInt64(), state.GetProperty("sentenceCount").GetInt64(), state.GetProperty("unknownCount").GetInt64(), state.GetProperty("top").GetInt32()));
        Assert.Equal(fed.GetProperty("expiresUtc").GetDateTimeOffset(), state.GetProperty("expiresUtc").GetDateTimeOffset());
        Assert.Equal(state.GetProperty("lastUsedUtc").GetDateTimeOffset() + TimeSpan.FromMinutes(30), state.GetProperty("expiresUtc").GetDateTimeOffset());
        Assert.True(state.GetProperty("bytes").GetInt64() > 0);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/sessions/{id}")).StatusCode);
        var (gone, problem) = await app.SendAsync(HttpMethod.Get, $"/sessions/{id}");
        var (status, field, message) = Problem(gone, problem);
        Assert.Equal((HttpStatusCode.NotFound, "id"), (status, field));
        Assert.Contains("does not exist, was deleted, expired after 30 minutes", message);
        Assert.Contains("restarted", message);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(client, $"/sessions/{id}/tokens", new { tokens = new[] { "It" } })).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/sessions/{id}")).StatusCode);
    }

    [Fact]
    public async Task FeedingSentencesTokenByTokenGivesScoresLogProbabilities()
    {
        string[][] sentences = [["The", "jury", "said", "no", "evidence", "."], ["It"], ["Mr.", "Allen", "found", "a", "Zyxqv", "law", "."]];
        var client = app.CreateClient();
        var expected = await ScoredAsync(client, sentences);
        var id = (await CreateAsync(client)).GetProperty("id").GetString()!;
        var fed = new List<double>();
        foreach (var token in sentences.SelectMany(s => s.Append("</s>")))
        {
            var answer = await FeedAsync(client, id, token);
            fed.AddRange(LogProbs(answer));
        }

        AssertClose(expected, fed);

        // Each answer's next words are /next's after the sentence under way.
        var next = await FeedAsync(client, id, "The", "city");
        var nextWords = await app.GetOkAsync("/next?prefix=The%20city&top=10");
        Assert.Equal(nextWords.GetProperty("candidates").ToString(), next.GetProperty("next").ToString());
        Assert.Equal(nextWords.GetProperty("endOfSentenceProbability").GetDouble(), next.GetProperty("endOfSentenceProbability").GetDouble());
    }

    [Fact]
    public async Task TextSentToASessionIsTokenizedAsThePrefixIs()
    {
        var client = app.CreateClient();
        var byTokens = (await CreateAsync(client, new { prefix = "The jury" })).GetProperty("id").GetString()!;
        var byText = (await CreateAsync(client, new { prefix = "The jury" })).GetProperty("id").GetString()!;
        var fed = await FeedAsync(client, byTokens, "said", ",", "``", "no", "''", "Mr.", "Allen", ".");
        var (response, json) = await PostAsync(client, $"/sessions/{byText}/tokens", new { text = "said, \"no\" Mr. Allen." });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Tokens(fed), Tokens(json));
        Assert.Equal(LogProbs(fed), LogProbs(json));
        Assert.Equal(fed.GetProperty("next").ToString(), json.GetProperty("next").ToString());
    }

    [Theory]
    [InlineData("brown-default")]
    [InlineData("brown-elman")]
    public async Task TheShippedModelsGiveScoresLogProbabilitiesTokenByToken(string model)
    {
        using var shipped = new ShippedModelApplication();
        using var served = shipped.WithWebHostBuilder(builder => builder.ConfigureAppConfiguration((_, configuration) =>
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["RnnLm:ModelPath"] = shipped.RepositoryFile($"models/{model}.rnnlm") })));
        var client = served.CreateClient();

        // A long sentence, a short one (at most four predictions: another path through the output layer), an unknown word.
        string[][] sentences = [["The", "jury", "said", "it", "did", "find", "no", "evidence", "that", "any", "irregularities", "took", "place", "."], ["Yes", "."], ["It", "was", "a", "Zyxqv", "."]];
        var expected = await ScoredAsync(client, sentences);
        var created = await CreateAsync(client, new { prefix = "The jury" });
        Assert.Equal(model, created.GetProperty("model").GetString());
        var id = created.GetProperty("id").GetString()!;
        var fed = LogProbs(created).ToList();
        var text = sentences.SelectMany(s => s.Append("</s>")).Skip(2).ToArray();
        for (var i = 0; i < text.Length; i += 3)
        {
            fed.AddRange(LogProbs(await FeedAsync(client, id, text[i..Math.Min(text.Length, i + 3)])));
        }

        AssertClose(expected, fed);
    }

    [Fact]
    public async Task ASessionKeepsItsModelWhenAnotherIsActivated()
    {
        using var app = new RnnLmApplication();
        var other = BrokenModelTests.ModelPath(app.Folder, "other");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        RnnLmApplication.WriteTinyModel(other, seed: 2);
        var otherModel = ModelFile.Load(other);
        var client = app.CreateClient();
        string[] sentence = ["The", "jury", "said", "no", "evidence", "."];
        var id = (await CreateAsync(client, new { prefix = "The jury" })).GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await app.CreateManagementClient().PostAsync("/models/other/activate", null)).StatusCode);
        Assert.Equal("other", (await app.GetOkAsync("/model")).GetProperty("id").GetString());
        var fed = await FeedAsync(client, id, [.. sentence[2..], "</s>"]);

        Assert.Equal("tiny", fed.GetProperty("model").GetString());
        var tiny = app.Model.Score(sentence).Tokens.Skip(2).Select(t => t.LogProb).ToArray();
        AssertClose(tiny, LogProbs(fed));
        var otherLogProbs = otherModel.Score(sentence).Tokens.Skip(2).Select(t => t.LogProb).ToArray();
        Assert.True(tiny.Zip(otherLogProbs).Any(pair => Math.Abs(pair.First - pair.Second) > 1e-3), "the two models must differ for this test to mean anything");
        Assert.Equal("tiny", (await app.GetOkAsync($"/sessions/{id}")).GetProperty("model").GetString());
        Assert.Equal("other", (await CreateAsync(client)).GetProperty("model").GetString());
        Assert.Equal("tiny", (await CreateAsync(client, new { model = "tiny" })).GetProperty("model").GetString());
    }

    [Fact]
    public async Task AChosenIdWorksOnceAndBadIdsAreRefused()
    {
        var client = app.CreateClient();
        var id = $"chosen-{Guid.NewGuid():N}";
        Assert.Equal(id, (await CreateAsync(client, new { id })).GetProperty("id").GetString());
        var (taken, json) = await PostAsync(client, "/sessions", new { id });
        Assert.Equal((HttpStatusCode.Conflict, "id"), StatusAndField(taken, json));

        foreach (var bad in new[] { "", "has space", "slash/", new string('a', 65) })
        {
            var (response, problem) = await PostAsync(client, "/sessions", new { id = bad });
            Assert.Equal((HttpStatusCode.BadRequest, "id"), StatusAndField(response, problem));
        }
    }

    [Fact]
    public async Task BadRequestsAreRefusedNamingTheirField()
    {
        var client = app.CreateClient();
        var id = (await CreateAsync(client, new { prefix = "The" })).GetProperty("id").GetString()!;
        var path = $"/sessions/{id}/tokens";
        var cases = new (object Body, HttpStatusCode Status, string Field, string Says)[]
        {
            (new { tokens = new[] { "jury", "<s>" } }, HttpStatusCode.BadRequest, "tokens[1]", "reserved"),
            (new { tokens = new[] { "jury", "" } }, HttpStatusCode.BadRequest, "tokens[1]", "empty"),
            (new { tokens = new[] { "a b" } }, HttpStatusCode.BadRequest, "tokens[0]", "white space"),
            (new { tokens = Array.Empty<string>() }, HttpStatusCode.BadRequest, "tokens", "at least one"),
            (new { top = 3 }, HttpStatusCode.BadRequest, "tokens", "at least one"),
            (new { tokens = new[] { "jury" }, top = 0 }, HttpStatusCode.BadRequest, "top", "RnnLm:MaxTop"),
            (new { tokens = new[] { "jury" }, text = "jury" }, HttpStatusCode.BadRequest, "text", "not both"),
            (new { text = "  " }, HttpStatusCode.BadRequest, "text", "at least one word"),
            (new { text = "a\u0001b" }, HttpStatusCode.BadRequest, "text", "control"),
            (new { text = string.Join(' ', Enumerable.Repeat("jury", 513)) }, HttpStatusCode.RequestEntityTooLarge, "text", "RnnLm:MaxSessionTokensPerCall"),
            (new { tokens = Enumerable.Repeat("jury", 513).ToArray() }, HttpStatusCode.RequestEntityTooLarge, "tokens", "RnnLm:MaxSessionTokensPerCall"),
        };
        foreach (var (body, status, field, says) in cases)
        {
            var (response, json) = await PostAsync(client, path, body);
            var problem = Problem(response, json);
            Assert.Equal((status, field), (problem.Status, problem.Field));
            Assert.Contains(says, problem.Message);
        }

        // None of them changed the session.
        Assert.Equal(1, (await app.GetOkAsync($"/sessions/{id}")).GetProperty("tokenCount").GetInt64());

        var refusedCreations = new (object Body, HttpStatusCode Status, string Field)[]
        {
            (new { top = 51 }, HttpStatusCode.BadRequest, "top"),
            (new { model = "no-such-model" }, HttpStatusCode.BadRequest, "model"),
            (new { prefix = "a\u0001b" }, HttpStatusCode.BadRequest, "prefix"),
            (new { prefix = string.Join(' ', Enumerable.Repeat("jury", 513)) }, HttpStatusCode.RequestEntityTooLarge, "prefix"),
        };
        foreach (var (body, status, field) in refusedCreations)
        {
            var (response, json) = await PostAsync(client, "/sessions", body);
            Assert.Equal((status, field), StatusAndField(response, json));
        }
    }

    [Fact]
    public async Task ASessionTakesNoMoreTokensThanItsLimit()
    {
        using var small = Tiny(("MaxSessionTokens", "6"));
        var client = small.CreateClient();
        var id = (await CreateAsync(client, new { prefix = "The jury said" })).GetProperty("id").GetString()!;
        await FeedAsync(client, id, "no", "evidence");
        var (response, json) = await PostAsync(client, $"/sessions/{id}/tokens", new { tokens = new[] { ".", "</s>" } });
        var (status, field, message) = Problem(response, json);
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "tokens"), (status, field));
        Assert.Contains("holds 5 tokens", message);
        Assert.Contains("RnnLm:MaxSessionTokens", message);
        Assert.Equal(6, (await FeedAsync(client, id, ".")).GetProperty("tokenCount").GetInt64());
    }

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-9, $"token {i}: session {actual[i]:R}, /score {expected[i]:R}");
        }
    }
}
