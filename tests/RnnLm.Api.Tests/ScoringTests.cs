using System.Net;
using System.Text.Json;

namespace RnnLm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ScoringTests(RnnLmApplication app)
{
    [Fact]
    public async Task ScoringRawTextReturnsEveryTokenAndTheTotals()
    {
        var json = await app.PostOkAsync("/score", new { text = "The jury said no evidence. It found a new law." });

        Assert.Equal("tiny", json.GetProperty("model").GetString());
        Assert.Equal(2, json.GetProperty("sentenceCount").GetInt32());
        var sentences = json.GetProperty("sentences").EnumerateArray().ToArray();
        Assert.Equal(["The", "jury", "said", "no", "evidence", ".", "</s>"], Tokens(sentences[0]));
        Assert.Equal(["It", "found", "a", "new", "law", ".", "</s>"], Tokens(sentences[1]));
        Assert.Equal(14, json.GetProperty("tokenCount").GetInt32());
        Assert.Equal(0, json.GetProperty("unknownCount").GetInt32());
        var logProb = json.GetProperty("logProb").GetDouble();
        Assert.True(logProb < 0);
        var nats = json.GetProperty("crossEntropy").GetProperty("nats").GetDouble();
        Assert.Equal(-logProb / 14, nats, 1e-12);
        Assert.Equal(nats / Math.Log(2), json.GetProperty("crossEntropy").GetProperty("bits").GetDouble(), 1e-12);
        Assert.Equal(Math.Exp(nats), json.GetProperty("perplexity").GetDouble(), 1e-9);
    }

    [Fact]
    public async Task TheResponseStatesItsConventions()
    {
        var json = await app.PostOkAsync("/score", new { text = "It said no evidence." });

        var conventions = json.GetProperty("conventions");
        Assert.Equal("e", conventions.GetProperty("logBase").GetString());
        Assert.True(conventions.GetProperty("endOfSentenceCounted").GetBoolean());
        Assert.Equal("scored as <unk>", conventions.GetProperty("unknownWords").GetString());
    }

    [Fact]
    public async Task ScoreAgreesWithTheEnginesOwnScoreOfTheSameSentence()
    {
        string[] tokens = ["The", "committee", "recommended", "a", "new", "law", "."];
        var expected = app.Model.Score(tokens);

        var json = await app.PostOkAsync("/score", new { tokens = new[] { tokens } });

        var sentence = json.GetProperty("sentences")[0];
        Assert.Equal(expected.LogProb, sentence.GetProperty("logProb").GetDouble(), 1e-12);
        Assert.Equal(expected.Perplexity, sentence.GetProperty("perplexity").GetDouble(), 1e-9);
        var scored = sentence.GetProperty("tokens").EnumerateArray().ToArray();
        Assert.Equal(expected.Tokens.Count, scored.Length);
        for (var i = 0; i < scored.Length; i++)
        {
            Assert.Equal(expected.Tokens[i].Token, scored[i].GetProperty("token").GetString());
            Assert.Equal(expected.Tokens[i].LogProb, scored[i].GetProperty("logProb").GetDouble(), 1e-12);
        }
    }

    [Fact]
    public async Task ThePerplexityOverAllSentencesIsTokenWeightedAndMatchesTheEnginesCorpusScore()
    {
        string[][] sentences = [["It", "said", "no", "evidence", "."], ["The", "state", "did", "not", "find", "many", "problems", "in", "the", "city", "."]];
        var corpus = app.Model.ScoreCorpus(sentences);

        var json = await app.PostOkAsync("/score", new { tokens = sentences });

        Assert.Equal(corpus.Tokens, json.GetProperty("tokenCount").GetInt32());
        Assert.Equal(corpus.UnknownTokens, json.GetProperty("unknownCount").GetInt32());
        Assert.Equal(corpus.LogProb, json.GetProperty("logProb").GetDouble(), 1e-3);
        Assert.Equal(corpus.Perplexity, json.GetProperty("perplexity").GetDouble(), corpus.Perplexity * 1e-5);
        var sum = json.GetProperty("sentences").EnumerateArray().Sum(s => s.GetProperty("logProb").GetDouble());
        Assert.Equal(sum, json.GetProperty("logProb").GetDouble(), 1e-9);
    }

    [Fact]
    public async Task TextSentencesAndTokensGiveTheSameScore()
    {
        var fromText = await app.PostOkAsync("/score", new { text = "The city found many problems. Mr. Allen said \"no evidence\"." });
        var fromSentences = await app.PostOkAsync("/score", new { sentences = new[] { "The city found many problems.", "Mr. Allen said \"no evidence\"." } });
        var fromTokens = await app.PostOkAsync("/score", new { tokens = new[] { new[] { "The", "city", "found", "many", "problems", "." }, ["Mr.", "Allen", "said", "``", "no", "evidence", "''", "."] } });

        Assert.Equal(fromTokens.GetProperty("logProb").GetDouble(), fromText.GetProperty("logProb").GetDouble(), 1e-12);
        Assert.Equal(fromTokens.GetProperty("logProb").GetDouble(), fromSentences.GetProperty("logProb").GetDouble(), 1e-12);
    }

    [Fact]
    public async Task OutOfVocabularyWordsAreFlaggedAndScoredAsUnk()
    {
        var json = await app.PostOkAsync("/score", new { tokens = new[] { new[] { "The", "zeppelin", "said", "." }, ["The", "<unk>", "said", "."] } });

        var unknown = json.GetProperty("sentences")[0].GetProperty("tokens")[1];
        var unk = json.GetProperty("sentences")[1].GetProperty("tokens")[1];
        Assert.Equal("zeppelin", unknown.GetProperty("token").GetString());
        Assert.True(unknown.GetProperty("unknown").GetBoolean());
        Assert.Equal(unk.GetProperty("logProb").GetDouble(), unknown.GetProperty("logProb").GetDouble(), 1e-12);
        Assert.Equal(2, json.GetProperty("unknownCount").GetInt32());
    }

    [Fact]
    public async Task ScoringEmptyTextReturnsProblemDetailsNamingText()
    {
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", """{"text": "  "}""");

        AssertProblem(response, json, HttpStatusCode.BadRequest, "text");
    }

    [Fact]
    public async Task ScoringMoreSentencesThanTheLimitReturnsProblemDetails()
    {
        var sentences = Enumerable.Repeat("It said no evidence.", RnnLmApplication.MaxSentences + 1);
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", JsonSerializer.Serialize(new { sentences }));

        AssertProblem(response, json, HttpStatusCode.BadRequest, "sentences");
    }

    [Fact]
    public async Task ScoringRawTextWithTooManySentencesReturnsProblemDetailsNamingText()
    {
        var text = string.Concat(Enumerable.Repeat("It said no evidence. ", RnnLmApplication.MaxSentences + 1));
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", JsonSerializer.Serialize(new { text }));

        AssertProblem(response, json, HttpStatusCode.BadRequest, "text");
    }

    [Fact]
    public async Task ScoringASentenceLongerThanTheLimitReturnsProblemDetailsNamingIt()
    {
        var tokens = new[] { Enumerable.Repeat("law", RnnLmApplication.MaxTokensPerSentence + 1).ToArray() };
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", JsonSerializer.Serialize(new { tokens }));

        AssertProblem(response, json, HttpStatusCode.BadRequest, "tokens[0]");
    }

    [Fact]
    public async Task GivingTwoFormsOfTextReturnsProblemDetails()
    {
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", """{"text": "It said.", "sentences": ["It said."]}""");

        AssertProblem(response, json, HttpStatusCode.BadRequest, "body");
    }

    [Fact]
    public async Task ANullTokenIsNamedByItsPosition()
    {
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", """{"tokens": [["It", "said"], ["The", null]]}""");

        AssertProblem(response, json, HttpStatusCode.BadRequest, "tokens[1][1]");
    }

    [Fact]
    public async Task ScoringCountsTokensInTheMetrics()
    {
        await app.PostOkAsync("/score", new { text = "It said no evidence." });

        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("rnnlm_tokens_scored_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 6);
    }

    internal static void AssertProblem(HttpResponseMessage response, JsonElement json, HttpStatusCode status, string field)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
        var errors = json.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains(field, errors);
    }

    private static string[] Tokens(JsonElement sentence) =>
        [.. sentence.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()!)];
}
