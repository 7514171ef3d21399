using System.Net;
using System.Text.Json;

namespace RnnLm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class PredictionTests(RnnLmApplication app)
{
    [Fact]
    public async Task NextReturnsTheTopCandidatesSortedWithTheEndOfSentenceProbability()
    {
        var json = await app.GetOkAsync("/next?prefix=The%20jury&top=5");

        Assert.Equal(["The", "jury"], json.GetProperty("prefix").EnumerateArray().Select(t => t.GetString()));
        var candidates = json.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(5, candidates.Length);
        var probabilities = candidates.Select(c => c.GetProperty("probability").GetDouble()).ToArray();
        Assert.Equal(probabilities.OrderDescending(), probabilities);
        foreach (var candidate in candidates)
        {
            Assert.Equal(Math.Log(candidate.GetProperty("probability").GetDouble()), candidate.GetProperty("logProb").GetDouble(), 1e-9);
        }

        var distribution = app.Model.NextDistribution(["The", "jury"]);
        Assert.Equal(distribution[app.Model.Vocabulary.EndOfSentence], json.GetProperty("endOfSentenceProbability").GetDouble(), 1e-7);
        Assert.Equal(distribution.Max(), probabilities[0], 1e-7);
        Assert.False(json.TryGetProperty("word", out var word) && word.ValueKind != JsonValueKind.Null);
    }

    [Theory]
    [InlineData("The jury", 1)]
    [InlineData("The jury", 10)]
    [InlineData("", 33)]
    [InlineData("Mr. Allen said no", 50)]
    public async Task NextGivesTheSameCandidatesAsTheEngine(string prefix, int top)
    {
        var tokens = prefix.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var expected = app.Model.Next(tokens, top);

        var json = await app.GetOkAsync($"/next?prefix={Uri.EscapeDataString(prefix)}&top={top}");

        var candidates = json.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(expected.Candidates.Select(c => c.Token), candidates.Select(c => c.GetProperty("token").GetString()));
        Assert.Equal(expected.Candidates.Select(c => c.Probability), candidates.Select(c => c.GetProperty("probability").GetDouble()));
        Assert.Equal(expected.EndOfSentenceProbability, json.GetProperty("endOfSentenceProbability").GetDouble());
        Assert.Equal(expected.Prefix, json.GetProperty("prefix").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task TheProbabilityOfAWordAfterAPrefixIsTheSameInNextAndScore()
    {
        var next = await app.GetOkAsync("/next?prefix=The%20committee&top=3&word=recommended");
        var score = await app.PostOkAsync("/score", new { tokens = new[] { new[] { "The", "committee", "recommended" } } });

        var fromScore = score.GetProperty("sentences")[0].GetProperty("tokens")[2].GetProperty("logProb").GetDouble();
        var word = next.GetProperty("word");
        Assert.Equal("recommended", word.GetProperty("token").GetString());
        Assert.False(word.GetProperty("unknown").GetBoolean());
        Assert.Equal(fromScore, word.GetProperty("logProb").GetDouble(), 1e-12);
        Assert.Equal(Math.Exp(fromScore), word.GetProperty("probability").GetDouble(), 1e-12);

        // The candidates come from the full next-word distribution, a different code path: same numbers within float rounding.
        foreach (var candidate in next.GetProperty("candidates").EnumerateArray())
        {
            var token = candidate.GetProperty("token").GetString()!;
            var scored = await app.PostOkAsync("/score", new { tokens = new[] { new[] { "The", "committee", token } } });
            var logProb = scored.GetProperty("sentences")[0].GetProperty("tokens")[2].GetProperty("logProb").GetDouble();
            Assert.Equal(logProb, candidate.GetProperty("logProb").GetDouble(), 1e-4);
        }
    }

    [Fact]
    public async Task AnEmptyPrefixMeansTheStartOfASentence()
    {
        var next = await app.GetOkAsync("/next?top=50&word=It");
        var score = await app.PostOkAsync("/score", new { tokens = new[] { new[] { "It" } } });

        Assert.Empty(next.GetProperty("prefix").EnumerateArray());
        var first = score.GetProperty("sentences")[0].GetProperty("tokens")[0].GetProperty("logProb").GetDouble();
        Assert.Equal(first, next.GetProperty("word").GetProperty("logProb").GetDouble(), 1e-12);
        var candidate = next.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("token").GetString() == "It");
        Assert.Equal(first, candidate.GetProperty("logProb").GetDouble(), 1e-4);
    }

    [Fact]
    public async Task UnknownPrefixWordsAreSeenAsUnk()
    {
        var json = await app.GetOkAsync("/next?prefix=The%20zeppelin&top=1&word=flew");

        Assert.Equal(["The", "<unk>"], json.GetProperty("prefix").EnumerateArray().Select(t => t.GetString()));
        Assert.True(json.GetProperty("word").GetProperty("unknown").GetBoolean());
    }

    [Theory]
    [InlineData("/next?top=0", "top")]
    [InlineData("/next?top=51", "top")]
    [InlineData("/next?top=ten", "top")]
    [InlineData("/next?top=99999999999", "top")]
    [InlineData("/next?word=two%20words", "word")]
    [InlineData("/next?word=%3C/s%3E", "word")]
    [InlineData("/next?prefix=a%00b", "prefix")]
    public async Task NextWithABadParameterReturnsProblemDetailsNamingIt(string path, string field)
    {
        var (response, json) = await app.SendAsync(HttpMethod.Get, path);

        ScoringTests.AssertProblem(response, json, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task GenerateGivesTheSameTextForTheSameSeed()
    {
        var request = new { prefix = "The jury", maxTokens = 12, temperature = 1.5, topK = 0, seed = 42 };

        var first = await app.PostOkAsync("/generate", request);
        var second = await app.PostOkAsync("/generate", request);

        Assert.Equal(first.GetProperty("text").GetString(), second.GetProperty("text").GetString());
        Assert.Equal(["The", "jury"], first.GetProperty("prefix").EnumerateArray().Select(t => t.GetString()));
        var expected = app.Model.Generate(["The", "jury"], new(12, 1.5, 0, 42));
        Assert.Equal(expected.Tokens.Select(t => t.Token), first.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()));
        Assert.Equal(expected.EndedSentence, first.GetProperty("endedSentence").GetBoolean());
    }

    [Fact]
    public async Task GenerateStopsAtMaxTokensOrTheEndOfTheSentence()
    {
        var json = await app.PostOkAsync("/generate", new { prefix = "", maxTokens = 3, temperature = 3.0, seed = 7 });

        var tokens = json.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()).ToArray();
        Assert.InRange(tokens.Length, 1, 3);
        Assert.Equal(tokens[^1] == "</s>", json.GetProperty("endedSentence").GetBoolean());
        Assert.Equal(string.Join(' ', tokens.Where(t => t != "</s>")), json.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("""{"maxTokens": 0}""", "maxTokens")]
    [InlineData("""{"maxTokens": 31}""", "maxTokens")]
    [InlineData("""{"temperature": 0}""", "temperature")]
    [InlineData("""{"temperature": -1}""", "temperature")]
    [InlineData("""{"temperature": "NaN"}""", "temperature")]
    [InlineData("""{"topK": -1}""", "topK")]
    [InlineData("""{"seed": "1"}""", "seed")]
    [InlineData("""{"prefix": null}""", "prefix")]
    [InlineData("""{"prefix": 12}""", "prefix")]
    [InlineData("""{"max_tokens": 5}""", "max_tokens")]
    public async Task GenerateWithABadFieldReturnsProblemDetailsNamingIt(string body, string field)
    {
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/generate", body);

        ScoringTests.AssertProblem(response, json, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ConcurrentRequestsGetTheSameAnswersAsOneAtATime()
    {
        var prefixes = new[] { "The jury", "It", "Mr. Allen said", "The state did not", "" };
        var expected = new Dictionary<string, string>();
        foreach (var prefix in prefixes)
        {
            expected[prefix] = (await app.GetOkAsync($"/next?top=5&prefix={Uri.EscapeDataString(prefix)}")).GetRawText();
        }

        var client = app.CreateClient();
        var requests = Enumerable.Range(0, 200).Select(async i =>
        {
            var prefix = prefixes[i % prefixes.Length];
            return (prefix, await client.GetStringAsync($"/next?top=5&prefix={Uri.EscapeDataString(prefix)}"));
        });

        foreach (var (prefix, body) in await Task.WhenAll(requests))
        {
            Assert.Equal(expected[prefix], JsonDocument.Parse(body).RootElement.GetRawText());
        }
    }
}
