using System.Net;
using System.Text;
using System.Text.Json;

namespace RnnLm.Api.Tests;

/// <summary>A battery of hostile or careless requests: each gets a 4xx problem-details answer, never a 5xx.</summary>
[Collection(ApiCollection.Name)]
public sealed class BadRequestTests(RnnLmApplication app)
{
    public static TheoryData<string, string, string, string?, string, int, string?> Battery()
    {
        var data = new TheoryData<string, string, string, string?, string, int, string?>();
        void Add(string name, string method, string path, string? body, int status, string? field = null, string contentType = "application/json") =>
            data.Add(name, method, path, body, contentType, status, field);

        // Malformed JSON.
        Add("unterminated string", "POST", "/score", """{"text": "abc""", 400, "text");
        Add("unterminated object", "POST", "/score", "{", 400);
        Add("missing value", "POST", "/score", """{"text": }""", 400);
        Add("single quotes", "POST", "/score", "{'text': 'abc'}", 400);
        Add("trailing comma", "POST", "/score", """{"text": "abc",}""", 400);
        Add("not JSON at all", "POST", "/score", "text=abc", 400, "body");
        Add("two documents", "POST", "/score", """{"text": "a"} {"text": "b"}""", 400);
        Add("empty body", "POST", "/score", "", 400, "body");
        Add("JSON null body", "POST", "/score", "null", 400, "body");
        Add("array body", "POST", "/score", "[1, 2]", 400, "body");
        Add("raw control character in a string", "POST", "/score", "{\"text\": \"a\u0001b\"}", 400);
        Add("invalid escape", "POST", "/score", """{"text": "a\qb"}""", 400);
        Add("lone surrogate escape", "POST", "/score", """{"text": "a\ud800b"}""", 400);

        // Wrong types.
        Add("number for text", "POST", "/score", """{"text": 5}""", 400, "text");
        Add("array for text", "POST", "/score", """{"text": ["a"]}""", 400, "text");
        Add("string for sentences", "POST", "/score", """{"sentences": "a b"}""", 400, "sentences");
        Add("flat tokens", "POST", "/score", """{"tokens": ["a", "b"]}""", 400, "tokens[0]");
        Add("number token", "POST", "/score", """{"tokens": [["a", 1]]}""", 400, "tokens[0][1]");
        Add("object token", "POST", "/score", """{"tokens": [["a", {}]]}""", 400, "tokens[0][1]");
        Add("string for a number", "POST", "/generate", """{"maxTokens": "5"}""", 400, "maxTokens");
        Add("fraction for an integer", "POST", "/generate", """{"maxTokens": 1.5}""", 400, "maxTokens");
        Add("boolean for a number", "POST", "/generate", """{"temperature": true}""", 400, "temperature");
        Add("unknown field", "POST", "/score", """{"text": "It said.", "foo": 1}""", 400, "foo");
        Add("misspelt field", "POST", "/generate", """{"max_tokens": 5}""", 400, "max_tokens");
        Add("text as plain text", "POST", "/score", "It said.", 415, "Content-Type", "text/plain");

        // Huge numbers.
        Add("integer overflow", "POST", "/generate", """{"maxTokens": 99999999999999999999}""", 400, "maxTokens");
        Add("huge exponent", "POST", "/generate", """{"temperature": 1e400}""", 400, "temperature");
        Add("huge seed", "POST", "/generate", """{"seed": 2147483648}""", 400, "seed");
        Add("negative maxTokens", "POST", "/generate", """{"maxTokens": -1}""", 400, "maxTokens");
        Add("long digit string", "POST", "/generate", $$"""{"seed": {{new string('9', 5000)}}}""", 400, "seed");
        Add("top overflow", "GET", "/next?top=99999999999999999999", null, 400, "top");
        Add("top exponent", "GET", "/next?top=1e3", null, 400, "top");
        Add("negative top", "GET", "/next?top=-5", null, 400, "top");
        Add("top beyond the limit", "GET", $"/next?top={RnnLmApplication.MaxTop + 1}", null, 400, "top");

        // Nulls.
        Add("null text", "POST", "/score", """{"text": null}""", 400, "text");
        Add("null sentence", "POST", "/score", """{"sentences": [null]}""", 400, "sentences[0]");
        Add("null token list", "POST", "/score", """{"tokens": [null]}""", 400, "tokens[0]");
        Add("null token", "POST", "/score", """{"tokens": [[null]]}""", 400, "tokens[0][0]");
        Add("null prefix", "POST", "/generate", """{"prefix": null}""", 400, "prefix");
        Add("null integer", "POST", "/generate", """{"maxTokens": null}""", 400, "maxTokens");
        Add("null tokenize text", "POST", "/tokenize", """{"text": null}""", 400, "text");

        // Deep nesting.
        Add("deep arrays in tokens", "POST", "/score", $$"""{"tokens": {{new string('[', 100)}}{{new string(']', 100)}}}""", 400, "tokens[0][0]");
        Add("deep objects", "POST", "/score", string.Concat(Enumerable.Repeat("""{"a":""", 1000)) + "1" + new string('}', 1000), 400);
        Add("deep arrays", "POST", "/score", new string('[', 10_000) + new string(']', 10_000), 400, "body");

        // Control characters and white space where a token is expected.
        Add("escaped NUL in text", "POST", "/score", """{"text": "a\u0000b"}""", 400, "text");
        Add("bell in a token", "POST", "/score", """{"tokens": [["a\u0007"]]}""", 400, "tokens[0][0]");
        Add("space in a token", "POST", "/score", """{"tokens": [["two words"]]}""", 400, "tokens[0][0]");
        Add("escape in a sentence", "POST", "/score", """{"sentences": ["It said \u001b[31m red"]}""", 400, "sentences[0]");
        Add("NUL in the prefix", "GET", "/next?prefix=It%00said", null, 400, "prefix");
        Add("NUL in a generate prefix", "POST", "/generate", """{"prefix": "It\u0000"}""", 400, "prefix");
        Add("reserved end of sentence", "POST", "/score", """{"tokens": [["It", "</s>"]]}""", 400, "tokens[0][1]");
        Add("reserved start of sentence in text", "POST", "/score", """{"text": "<s> It said"}""", 400, "text");

        // Very long words.
        var longWord = new string('w', 5000);
        Add("long token", "POST", "/score", $$"""{"tokens": [["{{longWord}}"]]}""", 400, "tokens[0][0]");
        Add("long word in text", "POST", "/score", $$"""{"text": "It said {{longWord}}."}""", 400, "text");
        Add("long word asked for", "GET", $"/next?word={longWord}", null, 400, "word");
        Add("long word in the prefix", "GET", $"/next?prefix={longWord}", null, 400, "prefix[0]");

        // Empty and oversized content.
        Add("empty text", "POST", "/score", """{"text": ""}""", 400, "text");
        Add("no sentences", "POST", "/score", """{"sentences": []}""", 400, "sentences");
        Add("empty sentence", "POST", "/score", """{"tokens": [[]]}""", 400, "tokens[0]");
        Add("empty token", "POST", "/score", """{"tokens": [[""]]}""", 400, "tokens[0][0]");
        Add("nothing to score", "POST", "/score", "{}", 400, "text");
        Add("too many sentences", "POST", "/score", JsonSerializer.Serialize(new { tokens = Enumerable.Repeat(new[] { "It" }, RnnLmApplication.MaxSentences + 1) }), 400, "tokens");
        Add("too many tokens", "POST", "/score", JsonSerializer.Serialize(new { sentences = new[] { string.Join(' ', Enumerable.Repeat("law", RnnLmApplication.MaxTokensPerSentence + 1)) } }), 400, "sentences[0]");
        Add("prefix too long", "POST", "/generate", JsonSerializer.Serialize(new { prefix = string.Join(' ', Enumerable.Repeat("law", RnnLmApplication.MaxTokensPerSentence + 1)) }), 400, "prefix");
        Add("body over 1 MiB", "POST", "/score", JsonSerializer.Serialize(new { text = string.Concat(Enumerable.Repeat("It said no evidence. ", 60_000)) }), 413, "body");
        Add("many nulls", "POST", "/score", JsonSerializer.Serialize(new { tokens = new[] { new string?[1000] } }), 400, "tokens[0]");

        // Routes and methods.
        Add("unknown route", "GET", "/nope", null, 404, "route");
        Add("unknown nested route", "POST", "/score/extra", "{}", 404, "route");
        Add("wrong method", "GET", "/score", null, 405, "method");
        Add("wrong method on next", "POST", "/next", "{}", 405, "method");
        return data;
    }

    [Theory]
    [MemberData(nameof(Battery))]
    public async Task ABadRequestGetsA4xxProblemDetailsNamingTheField(string name, string method, string path, string? body, string contentType, int status, string? field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = body is null ? null : new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { { "Content-Type", contentType } } },
        };

        var response = await app.CreateClient().SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{name}: {(int)response.StatusCode} {text}");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToArray();
        Assert.NotEmpty(errors);
        if (field is not null)
        {
            Assert.True(errors.Contains(field), $"{name}: expected an error for '{field}', got {string.Join(", ", errors)}: {text}");
        }
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimitIsRejectedToo()
    {
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { text = string.Concat(Enumerable.Repeat("It said no evidence. ", 60_000)) }));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/score") { Content = new StreamContent(new MemoryStream(body)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await app.CreateClient().SendAsync(request);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }
}
