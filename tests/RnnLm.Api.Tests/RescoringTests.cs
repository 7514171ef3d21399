using System.Net;
using System.Text.Json;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.NGram;

namespace RnnLm.Api.Tests;

/// <summary>POST /rescore: ranking, agreement with /score, ids kept, the limits and every malformed request.</summary>
[Collection(ApiCollection.Name)]
public sealed class RescoringTests(RnnLmApplication app)
{
    private static readonly object TwoUtterances = new
    {
        utterances = new object[]
        {
            new
            {
                id = "u1",
                hypotheses = new object[]
                {
                    new { text = "The jury said no evidence.", scores = new { acoustic = -100.0 } },
                    new { tokens = new[] { "The", "jury", "found", "no", "evidence", "." }, scores = new { acoustic = -99.0 } },
                    new { text = "The jury said no.", scores = new { acoustic = -101.5 } },
                },
            },
            new { id = "u2", hypotheses = new object[] { new { text = "It found a new law.", scores = new { acoustic = -50.0 } } } },
        },
        weights = new { lm = 3.0, wordInsertionPenalty = -0.25, scores = new { acoustic = 0.5 } },
    };

    [Fact]
    public async Task RescoringRanksEachUtterancesHypothesesByTheCombinedScoreAndKeepsTheIds()
    {
        var json = await app.PostOkAsync("/rescore", TwoUtterances);

        Assert.Equal("tiny", json.GetProperty("model").GetString());
        var utterances = json.GetProperty("utterances").EnumerateArray().ToArray();
        Assert.Equal(["u1", "u2"], utterances.Select(u => u.GetProperty("id").GetString()));
        var hypotheses = utterances[0].GetProperty("hypotheses").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], hypotheses.Select(h => h.GetProperty("rank").GetInt32()));
        Assert.Equal([0, 1, 2], hypotheses.Select(h => h.GetProperty("index").GetInt32()).Order());
        double[] acoustic = [-100, -99, -101.5];
        var combined = hypotheses.Select(h => h.GetProperty("combined").GetDouble()).ToArray();
        Assert.Equal(combined.OrderDescending(), combined);
        foreach (var h in hypotheses)
        {
            var tokens = h.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
            var lm = app.Model.Score(tokens).LogProb;
            Assert.Equal(lm, h.GetProperty("lmLogProb").GetDouble());
            Assert.Equal((0.5 * acoustic[h.GetProperty("index").GetInt32()]) + (3 * lm) - (0.25 * tokens.Length), h.GetProperty("combined").GetDouble(), 1e-12);
            Assert.Equal(tokens.Length, h.GetProperty("wordCount").GetInt32());
            Assert.False(h.TryGetProperty("ngramLogProb", out _));
        }

        Assert.Equal(["The", "jury", "said", "no", "evidence", "."], hypotheses.Single(h => h.GetProperty("index").GetInt32() == 0).GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0.5, json.GetProperty("weights").GetProperty("scores").GetProperty("acoustic").GetDouble());
        Assert.Equal(4, json.GetProperty("hypothesisCount").GetInt32());
        Assert.Equal(6 + 6 + 5 + 6 + 4, json.GetProperty("tokenCount").GetInt32());
        Assert.False(json.TryGetProperty("lambda", out _));
    }

    [Fact]
    public async Task TheRnnLogProbabilityIsWhatScoreGivesForTheSameText()
    {
        var score = await app.PostOkAsync("/score", new { sentences = new[] { "The committee recommended a new law.", "Mr. Allen said many problems." } });
        var rescore = await app.PostOkAsync("/rescore", new
        {
            utterances = new[] { new { id = "x", hypotheses = new[] { new { text = "The committee recommended a new law." }, new { text = "Mr. Allen said many problems." } } } },
        });

        var byIndex = rescore.GetProperty("utterances")[0].GetProperty("hypotheses").EnumerateArray().OrderBy(h => h.GetProperty("index").GetInt32()).ToArray();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(score.GetProperty("sentences")[i].GetProperty("logProb").GetDouble(), byIndex[i].GetProperty("rnnLogProb").GetDouble());
            Assert.Equal(byIndex[i].GetProperty("rnnLogProb").GetDouble(), byIndex[i].GetProperty("combined").GetDouble());
        }
    }

    [Fact]
    public async Task EqualCombinedScoresKeepTheOrderSent()
    {
        var json = await app.PostOkAsync("/rescore", new
        {
            utterances = new[] { new { id = "tie", hypotheses = new[] { new { text = "It said no evidence." }, new { text = "The city found many problems." }, new { text = "It said no evidence." } } } },
        });

        var tied = json.GetProperty("utterances")[0].GetProperty("hypotheses").EnumerateArray().Where(h => h.GetProperty("tokens")[0].GetString() == "It").ToArray();
        Assert.Equal([0, 2], tied.Select(h => h.GetProperty("index").GetInt32()));
        Assert.Equal(tied[0].GetProperty("rank").GetInt32() + 1, tied[1].GetProperty("rank").GetInt32());
    }

    public static TheoryData<string, string, string> BadRequests()
    {
        const string One = """{"id": "u", "hypotheses": [{"text": "It said."}]}""";
        var data = new TheoryData<string, string, string>
        {
            { "no utterances", """{"utterances": []}""", "utterances" },
            { "utterances missing", """{}""", "utterances" },
            { "null utterance", """{"utterances": [null]}""", "utterances[0]" },
            { "no hypotheses", """{"utterances": [{"id": "u", "hypotheses": []}]}""", "utterances[0].hypotheses" },
            { "null hypotheses", """{"utterances": [{"id": "u"}]}""", "utterances[0].hypotheses" },
            { "null hypothesis", """{"utterances": [{"id": "u", "hypotheses": [null]}]}""", "utterances[0].hypotheses[0]" },
            { "both text and tokens", """{"utterances": [{"id": "u", "hypotheses": [{"text": "It", "tokens": ["It"]}]}]}""", "utterances[0].hypotheses[0]" },
            { "neither text nor tokens", """{"utterances": [{"id": "u", "hypotheses": [{"scores": {"a": 1}}]}]}""", "utterances[0].hypotheses[0]" },
            { "blank text", """{"utterances": [{"id": "u", "hypotheses": [{"text": "  "}]}]}""", "utterances[0].hypotheses[0].text" },
            { "empty tokens", """{"utterances": [{"id": "u", "hypotheses": [{"tokens": []}]}]}""", "utterances[0].hypotheses[0].tokens" },
            { "reserved token", """{"utterances": [{"id": "u", "hypotheses": [{"tokens": ["It", "</s>"]}]}]}""", "utterances[0].hypotheses[0].tokens[1]" },
            { "missing id", """{"utterances": [{"hypotheses": [{"text": "It"}]}]}""", "utterances[0].id" },
            { "blank id", """{"utterances": [{"id": " ", "hypotheses": [{"text": "It"}]}]}""", "utterances[0].id" },
            { "long id", $$"""{"utterances": [{"id": "{{new string('u', 257)}}", "hypotheses": [{"text": "It"}]}]}""", "utterances[0].id" },
            { "duplicate ids", $$"""{"utterances": [{{One}}, {{One}}]}""", "utterances[1].id" },
            { "huge score", """{"utterances": [{"id": "u", "hypotheses": [{"text": "It", "scores": {"ac": 1e300}}]}]}""", "utterances[0].hypotheses[0].scores.ac" },
            { "string score", """{"utterances": [{"id": "u", "hypotheses": [{"text": "It", "scores": {"ac": "1"}}]}]}""", "utterances" },
            { "scores differ", """{"utterances": [{"id": "u", "hypotheses": [{"text": "It", "scores": {"ac": 1}}, {"text": "It"}]}]}""", "utterances[0].hypotheses[1].scores" },
            { "unknown weight", Body(One, """{"scores": {"acoustic": 1}}"""), "weights.scores.acoustic" },
            { "huge lm weight", Body(One, """{"lm": -1e13}"""), "weights.lm" },
            { "lambda without an n-gram", Body(One, """{"lambda": 0.5}"""), "weights.lambda" },
            { "lambda out of range", Body(One, """{"lambda": 1.5}"""), "weights.lambda" },
            { "unknown field", "{\"utterances\": [" + One + "], \"weight\": {}}", "weight" },
            { "too many utterances", Body(string.Join(", ", Enumerable.Range(0, RnnLmApplication.MaxRescoreUtterances + 1).Select(i => One.Replace("\"u\"", $"\"u{i}\"", StringComparison.Ordinal)))), "utterances" },
            { "too many hypotheses", Body(Utterance(Enumerable.Repeat("\"It\"", RnnLmApplication.MaxHypothesesPerUtterance + 1))), "utterances[0].hypotheses" },
            { "too many words", Body(Utterance(Enumerable.Repeat(string.Join(" ", Enumerable.Repeat("law", 20)), 4).Select(t => $"\"{t}\""))), "utterances" },
            { "hypothesis too long", Body(Utterance([$"\"{string.Join(" ", Enumerable.Repeat("law", RnnLmApplication.MaxTokensPerSentence + 1))}\""])), "utterances[0].hypotheses[0].text" },
        };
        return data;
    }

    private static string Body(string utterances, string? weights = null) =>
        "{\"utterances\": [" + utterances + "]" + (weights is null ? "" : ", \"weights\": " + weights) + "}";

    // One utterance "u" whose hypotheses are the given JSON strings as text.
    private static string Utterance(IEnumerable<string> texts) =>
        "{\"id\": \"u\", \"hypotheses\": [" + string.Join(", ", texts.Select(t => "{\"text\": " + t + "}")) + "]}";

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task ABadRescoreRequestGetsProblemDetailsNamingTheField(string name, string body, string field)
    {
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/rescore", body);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {json}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = json.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToArray();
        Assert.True(errors.Any(e => e.StartsWith(field, StringComparison.Ordinal)), $"{name}: {string.Join(", ", errors)}");
    }

    [Fact]
    public async Task AnUnknownModelIsRefusedAsScoreRefusesIt()
    {
        var (response, _) = await app.SendAsync(HttpMethod.Post, "/rescore?model=nope", """{"utterances": [{"id": "u", "hypotheses": [{"text": "It"}]}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

/// <summary>POST /rescore with a model that carries an n-gram: lmLogProb is the mixture's at weights.lambda, with both components.</summary>
public sealed class RescoringInterpolationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-api-rescore-ngram-").FullName;
    private readonly RnnLmApplication _app;
    private readonly InterpolatedModel _mixture;

    public RescoringInterpolationTests()
    {
        var arpa = Path.Combine(_folder, "tiny2.arpa");
        using (var reference = new RnnLmApplication())
        {
            InterpolationTests.WriteNGram(arpa, reference.Model.Vocabulary);
        }

        _app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:NGram"] = arpa, ["RnnLm:Lambda"] = "0.6" });
        _mixture = new InterpolatedModel(_app.Model, ArpaReader.Read(arpa));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public async Task TheLmLogProbabilityIsTheMixturesAtTheLambdaAsked(double? lambda)
    {
        string[][] sentences = [["The", "jury", "said", "zebra", "."], ["It", "found", "a", "new", "law", "."]];
        var body = JsonSerializer.Serialize(new
        {
            utterances = new[] { new { id = "u", hypotheses = sentences.Select(s => new { tokens = s }) } },
            weights = new { lm = 2.0, lambda },
        });

        var (response, json) = await _app.SendAsync(HttpMethod.Post, "/rescore", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var used = lambda ?? 0.6;
        Assert.Equal(used, json.GetProperty("lambda").GetDouble());
        Assert.Equal("tiny2.arpa", json.GetProperty("ngram").GetString());
        foreach (var h in json.GetProperty("utterances")[0].GetProperty("hypotheses").EnumerateArray())
        {
            var tokens = sentences[h.GetProperty("index").GetInt32()];
            var components = _mixture.Components(tokens);
            Assert.Equal(_mixture.Score(tokens, used).LogProb, h.GetProperty("lmLogProb").GetDouble());
            Assert.Equal(_mixture.Rnn.Score(tokens).LogProb, h.GetProperty("rnnLogProb").GetDouble());
            Assert.Equal(components.Tokens.Sum(t => t.NGramLogProb), h.GetProperty("ngramLogProb").GetDouble(), 1e-12);
            Assert.Equal(2 * h.GetProperty("lmLogProb").GetDouble(), h.GetProperty("combined").GetDouble(), 1e-12);
        }
    }

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
