using System.Net;

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
}
