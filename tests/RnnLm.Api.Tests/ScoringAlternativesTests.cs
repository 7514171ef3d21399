using System.Net;
using System.Text.Json;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Tests;

/// <summary>POST /score with <c>alternatives</c>: each token's rank and the most probable words at its position.</summary>
[Collection(ApiCollection.Name)]
public sealed class ScoringAlternativesTests(RnnLmApplication app)
{
    [Fact]
    public async Task WithoutAlternativesTheResponseIsByteForByteWhatItWas()
    {
        const string Text = "The jury said no evidence. It found a zyxqv law.";
        var (_, plain) = await PostRawAsync($$"""{"text": "{{Text}}"}""");
        var (_, zero) = await PostRawAsync($$"""{"text": "{{Text}}", "alternatives": 0}""");

        Assert.Equal(plain, zero);
        Assert.DoesNotContain("\"rank\"", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("\"alternatives\"", plain, StringComparison.Ordinal);

        // The same fields in the same order as a token was written before alternatives existed.
        var token = JsonDocument.Parse(plain).RootElement.GetProperty("sentences")[0].GetProperty("tokens")[0];
        Assert.Equal(["token", "logProb", "unknown"], token.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task EachTokensAlternativesAreNextsCandidatesAndRankOneIsTheMostProbableWord()
    {
        const int K = 5;
        string[] words = ["The", "committee", "recommended", "zyxqv", "law", "."];
        var json = await app.PostOkAsync("/score", new { tokens = new[] { words }, alternatives = K });

        var tokens = json.GetProperty("sentences")[0].GetProperty("tokens").EnumerateArray().ToArray();
        Assert.Equal(words.Length + 1, tokens.Length);
        for (var t = 0; t < tokens.Length; t++)
        {
            var prefix = string.Join(' ', words.Take(t));
            var next = await app.GetOkAsync($"/next?prefix={Uri.EscapeDataString(prefix)}&top={K}");
            var candidates = next.GetProperty("candidates").EnumerateArray().ToArray();
            var alternatives = tokens[t].GetProperty("alternatives").EnumerateArray().ToArray();
            Assert.Equal(candidates.Select(c => c.GetProperty("token").GetString()), alternatives.Select(a => a.GetProperty("token").GetString()));
            Assert.Equal(candidates.Select(c => c.GetProperty("probability").GetDouble()), alternatives.Select(a => a.GetProperty("probability").GetDouble()));
            Assert.Equal(candidates.Select(c => c.GetProperty("logProb").GetDouble()), alternatives.Select(a => a.GetProperty("logProb").GetDouble()));

            var rank = tokens[t].GetProperty("rank").GetInt32();
            var modelToken = tokens[t].GetProperty("unknown").GetBoolean() ? "<unk>" : tokens[t].GetProperty("token").GetString();
            Assert.Equal(rank == 1, candidates[0].GetProperty("token").GetString() == modelToken);
            var listed = Array.FindIndex(candidates, c => c.GetProperty("token").GetString() == modelToken);
            Assert.True(listed < 0 ? rank > K : rank == listed + 1, $"token {t} ({modelToken}): rank {rank}, listed at {listed}");
            Assert.Equal(app.Model.Rank(words, K)[t].Rank, rank);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(21)]
    public async Task AlternativesOutOfRangeReturnProblemDetailsNamingTheField(int alternatives)
    {
        Assert.Equal(20, new RnnLmOptions().MaxAlternatives);
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", JsonSerializer.Serialize(new { text = "It said no evidence.", alternatives }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = Assert.Single(json.GetProperty("errors").GetProperty("alternatives").EnumerateArray()).GetString();
        Assert.Equal("Must be between 0 and 20 (RnnLm:MaxAlternatives).", message);
    }

    private async Task<(HttpResponseMessage Response, string Body)> PostRawAsync(string body)
    {
        var response = await app.CreateClient().PostAsync("/score", RnnLmApplication.Body(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response, await response.Content.ReadAsStringAsync());
    }
}
