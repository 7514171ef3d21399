using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenQA.Selenium;

namespace RnnLm.Browser.Tests;

/// <summary>
/// Swagger UI's "Try it out" with the examples the OpenAPI document carries, executed in the browser: each operation
/// answers with its documented success status, and a stateless one with what the same request sent directly answers.
/// </summary>
[Collection(PlaygroundCollection.Name)]
public sealed class SwaggerTests(Playground page)
{
    /// <summary>Fields that differ from one call to the next by design (times, trace ids).</summary>
    private static readonly HashSet<string> Volatile = ["traceId", "expiresUtc", "createdUtc", "lastUsedUtc", "loadedUtc", "seconds"];

    public static TheoryData<string, string, string, string, int> StatelessOperations => new()
    {
        { "Scoring", "Score", "post", "/score", 200 },
        { "Prediction", "Next", "get", "/next", 200 },
        { "Prediction", "Generate", "post", "/generate", 200 },
        { "Rescoring", "Rescore", "post", "/rescore", 200 },
        { "Text", "Tokenize", "post", "/tokenize", 200 },
        { "Model", "GetModel", "get", "/model", 200 },
        { "Model", "GetRegisteredModel", "get", "/models/{id}", 200 },
    };

    [Theory]
    [MemberData(nameof(StatelessOperations))]
    public async Task TryingAnOperationsExampleAnswersAsTheSameRequestSentDirectly(string tag, string operationId, string method, string path, int status)
    {
        var document = await page.Http.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");
        var operation = document!["paths"]![path]![method]!.AsObject();
        var shown = TryItOut(tag, operationId, status);

        var direct = await page.Http.SendAsync(ExampleRequest(method, path, operation));
        Assert.Equal(status, (int)direct.StatusCode);
        var expected = Stable(JsonNode.Parse(await direct.Content.ReadAsStringAsync()));
        var actual = Stable(JsonNode.Parse(shown));
        // Swagger UI re-prints the JSON (JavaScript writes 1E-06 as 0.000001): equal as JSON values, not as text.
        Assert.True(JsonNode.DeepEquals(expected, actual), $"Swagger UI showed\n{actual?.ToJsonString()}\nthe request sent directly answered\n{expected?.ToJsonString()}");
    }

    [Fact]
    public async Task TheSessionExamplesTriedInTurnCreateFeedReadAndEndTheirSession()
    {
        await page.Http.DeleteAsync("/sessions/demo"); // another run's, if any: the examples name the session "demo"
        var created = JsonNode.Parse(TryItOut("Sessions", "CreateSession", 201))!;
        Assert.Equal("demo", created["id"]!.GetValue<string>());

        var fed = JsonNode.Parse(TryItOut("Sessions", "AddSessionTokens", 200))!;
        Assert.True(fed["tokens"]!.AsArray().Count > 0);
        var read = JsonNode.Parse(TryItOut("Sessions", "GetSession", 200))!;
        Assert.Equal(fed["tokenCount"]!.GetValue<int>(), read["tokenCount"]!.GetValue<int>());

        TryItOut("Sessions", "DeleteSession", 204);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await page.Http.GetAsync("/sessions/demo")).StatusCode);
    }

    /// <summary>Opens Swagger UI, expands the operation, presses "Try it out" and "Execute", and returns the body shown.</summary>
    private string TryItOut(string tag, string operationId, int status)
    {
        var browser = page.Browser;
        browser.Navigate().GoToUrl(new Uri(page.Http.BaseAddress!, "/swagger/index.html"));
        var block = page.Until(d => d.FindElement(By.Id($"operations-{tag}-{operationId}")), $"Swagger UI shows no {operationId}")!;
        block.FindElement(By.CssSelector(".opblock-summary")).Click();
        // The service turns "Try it out" on for every operation (EnableTryItOutByDefault): Execute is there at once.
        page.Until(_ => block.FindElement(By.CssSelector(".btn.execute")), $"{operationId} has no Execute")!.Click();
        var code = page.Until(_ => block.FindElement(By.CssSelector(".live-responses-table .response .response-col_status")).Text is { Length: > 0 } t ? t : null,
            $"{operationId} answered nothing")!;
        Assert.True(code.Trim() == status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"{operationId} answered {code}: {block.FindElement(By.CssSelector(".live-responses-table")).Text}");
        return status == 204 ? "" : block.FindElement(By.CssSelector(".live-responses-table .response-col_description pre")).Text;
    }

    /// <summary>The request Swagger UI builds from the document: each parameter's example, the body's example.</summary>
    private static HttpRequestMessage ExampleRequest(string method, string path, JsonObject operation)
    {
        var query = new StringBuilder();
        foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
        {
            if (parameter!["example"] is not { } example)
            {
                continue;
            }

            var value = Uri.EscapeDataString(example.GetValueKind() == JsonValueKind.String ? example.GetValue<string>() : example.ToJsonString());
            var name = parameter["name"]!.GetValue<string>();
            if (parameter["in"]!.GetValue<string>() == "path")
            {
                path = path.Replace("{" + name + "}", value, StringComparison.Ordinal);
            }
            else
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(value);
            }
        }

        var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path + query);
        if (operation["requestBody"]?["content"]?["application/json"] is { } content)
        {
            var body = content["example"] ?? content["examples"]!.AsObject().First().Value!["value"];
            request.Content = new StringContent(body!.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static JsonNode? Stable(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).Where(Volatile.Contains).ToList())
                {
                    obj.Remove(key);
                }

                foreach (var (_, child) in obj)
                {
                    Stable(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Stable(child);
                }

                break;
        }

        return node;
    }
}
