using System.Globalization;
using System.Net;
using System.Text.Json;
using RnnLm.Engine.Interpolation;
using RnnLm.Engine.Model;
using RnnLm.Engine.NGram;

namespace RnnLm.Api.Tests;

/// <summary>
/// /score and /next interpolated with an n-gram model: a service started with one (RnnLm:NGram, RnnLm:Lambda), λ per request,
/// the answers checked against the engine's <see cref="InterpolatedModel"/>, and every way to ask wrongly.
/// </summary>
public sealed class InterpolationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-api-ngram-").FullName;
    private readonly string _arpa;
    private readonly RnnLmApplication _app;
    private readonly InterpolatedModel _mixture;

    public InterpolationTests()
    {
        _arpa = Path.Combine(_folder, "tiny2.arpa");
        var reference = new RnnLmApplication();
        WriteNGram(_arpa, reference.Model.Vocabulary);
        reference.Dispose();
        _app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:NGram"] = _arpa, ["RnnLm:Lambda"] = "0.6" });
        _mixture = new InterpolatedModel(_app.Model, ArpaReader.Read(_arpa));
    }

    /// <summary>
    /// A unigram model over the tiny model's words but "jury", plus "zebra", with P(w) ∝ its rank: normalised, and different
    /// from the RNN, whose vocabulary then differs from it both ways.
    /// </summary>
    internal static void WriteNGram(string path, Vocabulary vocabulary)
    {
        string[] words = [.. vocabulary.Words.Where(w => w != "jury"), "zebra"];
        var total = words.Length * (words.Length + 1) / 2.0;
        var lines = new List<string> { "\\data\\", $"ngram 1={words.Length + 1}", "", "\\1-grams:", "-99\t<s>" };
        lines.AddRange(words.Select((w, i) => $"{Math.Log10((i + 1) / total).ToString("R", CultureInfo.InvariantCulture)}\t{w}"));
        lines.AddRange(["", "\\end\\"]);
        File.WriteAllLines(path, lines);
    }

    [Fact]
    public async Task AServiceStartedWithAnNGramScoresByTheMixtureAtTheConfiguredLambda()
    {
        var (response, json) = await _app.SendAsync(HttpMethod.Post, "/score", """{"tokens": [["The", "jury", "said", "zebra", "."]]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.6, json.GetProperty("lambda").GetDouble());
        Assert.Equal("tiny2.arpa", json.GetProperty("ngram").GetString());
        var expected = _mixture.Components(["The", "jury", "said", "zebra", "."]);
        var tokens = json.GetProperty("sentences")[0].GetProperty("tokens");
        Assert.Equal(expected.Tokens.Count, tokens.GetArrayLength());
        for (var i = 0; i < expected.Tokens.Count; i++)
        {
            Assert.Equal(expected.Tokens[i].LogProb(0.6), tokens[i].GetProperty("logProb").GetDouble());
            Assert.Equal(expected.Tokens[i].RnnLogProb, tokens[i].GetProperty("rnnLogProb").GetDouble());
            Assert.Equal(expected.Tokens[i].NGramLogProb, tokens[i].GetProperty("ngramLogProb").GetDouble());
        }

        Assert.Equal(expected.Mix(0.6).LogProb, json.GetProperty("logProb").GetDouble(), 1e-12);
        Assert.True(tokens[3].GetProperty("unknown").GetBoolean());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0.25)]
    [InlineData(1)]
    public async Task ALambdaInTheQueryChoosesTheMixture(double lambda)
    {
        var (response, json) = await _app.SendAsync(HttpMethod.Post, $"/score?lambda={lambda}", """{"text": "The jury said it. It was a Zyxqv."}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(lambda, json.GetProperty("lambda").GetDouble());
        var sentences = json.GetProperty("sentences");
        var expected = _mixture.Score(["The", "jury", "said", "it", "."], lambda);
        Assert.Equal(expected.Tokens.Select(t => t.LogProb), sentences[0].GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("logProb").GetDouble()));
        if (lambda == 1)
        {
            Assert.Equal(_app.Model.Score(["The", "jury", "said", "it", "."]).Tokens.Select(t => t.LogProb), expected.Tokens.Select(t => t.LogProb));
        }
    }

    [Fact]
    public async Task NextGivesTheMixturesCandidatesAndTheWordsMixedProbability()
    {
        var json = await _app.GetOkAsync("/next?prefix=The%20jury&top=5&word=said&lambda=0.3");

        var expected = _mixture.Next(["The", "jury"], 5, 0.3);
        Assert.Equal(0.3, json.GetProperty("lambda").GetDouble());
        Assert.Equal("tiny2.arpa", json.GetProperty("ngram").GetString());
        Assert.Equal(expected.Candidates.Select(c => (c.Token, c.Probability)),
            json.GetProperty("candidates").EnumerateArray().Select(c => (c.GetProperty("token").GetString()!, c.GetProperty("probability").GetDouble())));
        Assert.Equal(expected.EndOfSentenceProbability, json.GetProperty("endOfSentenceProbability").GetDouble());
        Assert.Equal(_mixture.Score(["The", "jury", "said"], 0.3).Tokens[2].LogProb, json.GetProperty("word").GetProperty("logProb").GetDouble());
        Assert.NotEqual(_app.Model.Next(["The", "jury"], 5).Candidates[0].Probability, expected.Candidates.First(c => c.Token == _app.Model.Next(["The", "jury"], 5).Candidates[0].Token).Probability);
    }

    [Fact]
    public async Task TheModelsSayWhichNGramTheyCarry()
    {
        var model = await _app.GetOkAsync("/model");
        var models = await _app.GetOkAsync("/models");

        Assert.Equal("tiny2.arpa", model.GetProperty("ngram").GetString());
        Assert.Equal("tiny2.arpa", models.GetProperty("models")[0].GetProperty("ngram").GetString());
    }

    [Fact]
    public async Task AnArpaFileBesideAModelIsTheNGramItCarries()
    {
        using var app = new RnnLmApplication();
        WriteNGram(Path.ChangeExtension(app.ModelPath, ".arpa"), app.Model.Vocabulary);

        var (response, json) = await app.SendAsync(HttpMethod.Post, "/score", """{"tokens": [["The", "city"]]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("tiny.arpa", json.GetProperty("ngram").GetString());
        Assert.Equal(Mixture.DefaultLambda, json.GetProperty("lambda").GetDouble());
        var models = await app.GetOkAsync("/models");
        Assert.Equal("tiny.arpa", models.GetProperty("models")[0].GetProperty("ngram").GetString());
    }

    [Fact]
    public async Task ATrainedModelCarriesTheArpaFileBesideItAndAMalformedOneIsA409UntilRepaired()
    {
        using var app = new RnnLmApplication();
        app.CreateClient().Dispose();
        BrokenModelTests.WriteModel(app.Folder, "trained", cardRecordsFile: true);
        var arpa = Path.Combine(app.Folder, "data", "models", "trained.arpa");
        File.WriteAllText(arpa, "\\data\\\nngram 1=2\nngram two=3\n");

        var (broken, problem) = await app.SendAsync(HttpMethod.Get, "/next?prefix=The&model=trained");

        Assert.Equal(HttpStatusCode.Conflict, broken.StatusCode);
        var detail = problem.GetProperty("errors").GetProperty("model")[0].GetString()!;
        Assert.Contains("N-gram file 'trained.arpa' cannot be read: trained.arpa, line 3: expected 'ngram N=count'", detail);
        Assert.DoesNotContain(app.Folder, detail);

        WriteNGram(arpa, app.Model.Vocabulary);
        var json = await app.GetOkAsync("/next?prefix=The&model=trained&lambda=0.5");
        Assert.Equal("trained.arpa", json.GetProperty("ngram").GetString());
        var models = await app.GetOkAsync("/models");
        Assert.Equal("trained.arpa", models.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "trained").GetProperty("ngram").GetString());
        Assert.Equal("ready", models.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "trained").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/next?prefix=The&lambda=1.5", "Must be a number from 0 (the n-gram model alone) to 1 (the RNN alone).")]
    [InlineData("/next?prefix=The&lambda=-0.5", "Must be a number from 0")]
    [InlineData("/next?prefix=The&lambda=NaN", "Must be a number from 0")]
    [InlineData("/next?prefix=The&lambda=half", "'half' is not a number.")]
    [InlineData("/next?prefix=The&lambda=0.5&lambda=0.6", "Is given 2 times; send it once.")]
    public async Task ALambdaThatIsNoWeightIsABadRequestNamingIt(string target, string expected)
    {
        var (response, json) = await _app.SendAsync(HttpMethod.Get, target);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, json.GetProperty("errors").GetProperty("lambda")[0].GetString());
        var (score, scoreJson) = await _app.SendAsync(HttpMethod.Post, target.Replace("/next?prefix=The&", "/score?"), """{"text": "The jury."}""");
        Assert.Equal(HttpStatusCode.BadRequest, score.StatusCode);
        Assert.Contains(expected, scoreJson.GetProperty("errors").GetProperty("lambda")[0].GetString());
    }

    [Fact]
    public async Task AModelWithoutAnNGramTakesOnlyLambdaOne()
    {
        using var plain = new RnnLmApplication();

        var (refused, problem) = await plain.SendAsync(HttpMethod.Post, "/score?lambda=0.5", """{"text": "The jury."}""");
        var (next, nextProblem) = await plain.SendAsync(HttpMethod.Get, "/next?prefix=The&lambda=0");
        var (accepted, json) = await plain.SendAsync(HttpMethod.Post, "/score?lambda=1", """{"text": "The jury."}""");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Model 'tiny' carries no n-gram model, so only 1 (the RNN alone) is accepted.", problem.GetProperty("errors").GetProperty("lambda")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, next.StatusCode);
        Assert.True(nextProblem.GetProperty("errors").TryGetProperty("lambda", out _));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.False(json.TryGetProperty("lambda", out _));
        Assert.False(json.GetProperty("sentences")[0].GetProperty("tokens")[0].TryGetProperty("rnnLogProb", out _));
        Assert.Equal(plain.Model.Score(["The", "jury", "."]).LogProb, json.GetProperty("logProb").GetDouble(), 1e-12);
    }

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
