using System.Net;
using RnnLm.Engine;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class TextTests(RnnLmApplication app)
{
    [Fact]
    public async Task TokenizeSplitsSentencesAndListsWordsTheModelDoesNotKnow()
    {
        var json = await app.PostOkAsync("/tokenize", new { text = "\"It's no evidence,\" said Mr. Allen. The zeppelin flew." });

        var sentences = json.GetProperty("sentences").EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToArray();
        Assert.Equal(2, sentences.Length);
        Assert.Equal(["``", "It's", "no", "evidence", ",", "''", "said", "Mr.", "Allen", "."], sentences[0]);
        Assert.Equal(["The", "zeppelin", "flew", "."], sentences[1]);
        Assert.Equal(2, json.GetProperty("sentenceCount").GetInt32());
        Assert.Equal(14, json.GetProperty("tokenCount").GetInt32());
        Assert.Equal(["``", "It's", ",", "''", "zeppelin", "flew"], json.GetProperty("outOfVocabulary").EnumerateArray().Select(t => t.GetString()));
    }

    [Theory]
    [InlineData("""{"text": ""}""")]
    [InlineData("""{"text": "\n\t "}""")]
    [InlineData("""{"text": null}""")]
    [InlineData("""{}""")]
    public async Task TokenizingNoTextReturnsProblemDetailsNamingText(string body)
    {
        var (response, json) = await app.SendAsync(HttpMethod.Post, "/tokenize", body);

        ScoringTests.AssertProblem(response, json, HttpStatusCode.BadRequest, "text");
    }

    [Fact]
    public async Task TokenizeFlagsTheWordsTheModelNamedByModelIdDoesNotKnow()
    {
        using var other = new RnnLmApplication();
        var path = BrokenModelTests.ModelPath(other.Folder, "zeppelin");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var vocabulary = Vocabulary.Build([["The", "zeppelin", "flew", "."]], minCount: 1);
        var parameters = new Parameters<float>(new ModelShape(vocabulary.Count, 4, 4, OutputKind.Full, 0));
        parameters.Initialize(seed: 1, scale: 0.5);
        ModelFile.Save(new LanguageModel(vocabulary, null, parameters), path);
        var body = new { text = "The zeppelin said no evidence." };

        var active = await other.PostOkAsync("/tokenize", body);
        var named = await other.PostOkAsync("/tokenize?model=zeppelin", body);

        Assert.Equal(["zeppelin"], active.GetProperty("outOfVocabulary").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["said", "no", "evidence"], named.GetProperty("outOfVocabulary").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(active.GetProperty("sentences").ToString(), named.GetProperty("sentences").ToString());
    }

    [Fact]
    public async Task TokenizeAnswersAnUnknownModelIdAsScoreDoes()
    {
        var (tokenize, tokenizeProblem) = await app.SendAsync(HttpMethod.Post, "/tokenize?model=nope", """{"text": "The jury said it ."}""");
        var (score, scoreProblem) = await app.SendAsync(HttpMethod.Post, "/score?model=nope", """{"text": "The jury said it ."}""");

        ScoringTests.AssertProblem(tokenize, tokenizeProblem, HttpStatusCode.BadRequest, "model");
        Assert.Equal(score.StatusCode, tokenize.StatusCode);
        Assert.Equal("No registered model has the id 'nope'; GET /models lists them.", tokenizeProblem.GetProperty("errors").GetProperty("model")[0].GetString());
        Assert.Equal(scoreProblem.GetProperty("errors").ToString(), tokenizeProblem.GetProperty("errors").ToString());
    }
}
