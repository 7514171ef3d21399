using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RnnLm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed partial class OpenApiTests(RnnLmApplication app)
{
    private static readonly (string Method, string Path)[] Endpoints =
        [("post", "/score"), ("post", "/rescore"), ("get", "/next"), ("post", "/generate"), ("get", "/model"), ("post", "/tokenize")];

    [Fact]
    public async Task TheOpenApiDocumentListsEveryEndpointWithASummaryAndADescription()
    {
        var document = await Document();
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => (Method: method.Name, Path: path.Name)))
            .ToArray();
        Assert.Equal(
            new HashSet<(string, string)>([.. Endpoints, ("post", "/jobs"), ("get", "/jobs"), ("get", "/jobs/{id}"), ("get", "/jobs/{id}/events"), ("delete", "/jobs/{id}"),
                ("get", "/models"), ("get", "/models/{id}"), ("post", "/models/{id}/activate"), ("delete", "/models/{id}"),
                ("post", "/sessions"), ("post", "/sessions/{id}/tokens"), ("get", "/sessions/{id}"), ("delete", "/sessions/{id}")]),
            new HashSet<(string, string)>(operations));

        foreach (var (method, path) in operations)
        {
            var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{method} {path} has no summary");
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("description").GetString()), $"{method} {path} has no description");
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("operationId").GetString()), $"{method} {path} has no name");
        }
    }

    [Fact]
    public async Task EveryParameterAndRequestFieldHasADescriptionAndEveryRequestAndAnswerAnExample()
    {
        var document = await Document();
        var schemas = document.GetProperty("components").GetProperty("schemas");

        foreach (var (method, path, operation) in Operations(document))
        {
            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : default)
            {
                Assert.False(string.IsNullOrWhiteSpace(parameter.GetProperty("description").GetString()), $"{path}?{parameter.GetProperty("name")} has no description");
            }

            if (operation.TryGetProperty("requestBody", out var body))
            {
                var json = body.GetProperty("content").GetProperty("application/json");
                Assert.True(Example(schemas, json).ValueKind == JsonValueKind.Object, $"{method} {path}: the request has no example");
                foreach (var property in Resolve(schemas, json.GetProperty("schema")).GetProperty("properties").EnumerateObject())
                {
                    Assert.False(string.IsNullOrWhiteSpace(property.Value.GetProperty("description").GetString()), $"{path}: {property.Name} has no description");
                }
            }

            foreach (var answer in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2') && r.Value.TryGetProperty("content", out _)))
            {
                var media = answer.Value.GetProperty("content").EnumerateObject().First().Value;
                Assert.True(Example(schemas, media).ValueKind != JsonValueKind.Undefined, $"{method} {path}: the {answer.Name} answer has no example");
            }
        }
    }

    [Fact]
    public async Task ManagementOperationsDeclareTheApiKeyAndItsAnswersAndEveryOtherOperationNeedsNothing()
    {
        var document = await Document();
        var management = new HashSet<(string, string)> { ("post", "/jobs"), ("delete", "/jobs/{id}"), ("post", "/models/{id}/activate"), ("delete", "/models/{id}") };

        Assert.Equal("X-Api-Key", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
        foreach (var (method, path, operation) in Operations(document))
        {
            Assert.True(operation.TryGetProperty("security", out var security), $"{method} {path} does not say what security it needs");
            if (management.Contains((method, path)))
            {
                Assert.True(security[0].TryGetProperty("ApiKey", out _), $"{method} {path} does not declare the key");
                Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), $"{method} {path} does not declare 401");
                Assert.True(operation.GetProperty("responses").TryGetProperty("403", out _), $"{method} {path} does not declare 403");
            }
            else
            {
                Assert.True(security.GetArrayLength() == 0, $"{method} {path} should say it needs no key (security: []), not {security}");
            }
        }
    }

    [Fact]
    public async Task EveryOperationDeclaresAClientErrorAndEveryTagItsDescription()
    {
        var document = await Document();
        var tags = document.TryGetProperty("tags", out var declared)
            ? declared.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("description", out var d) ? d.GetString() : null)
            : [];

        Assert.True(document.TryGetProperty("servers", out var servers) && servers.GetArrayLength() > 0, "the document names no server");
        foreach (var (method, path, operation) in Operations(document))
        {
            Assert.True(operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('4')), $"{method} {path} declares no 4xx answer");
            foreach (var tag in operation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!))
            {
                Assert.False(string.IsNullOrWhiteSpace(tags.GetValueOrDefault(tag)), $"the tag {tag} of {method} {path} has no description");
            }
        }
    }

    [Fact]
    public async Task NoSchemaIsNullableWithoutATypeBesideIt()
    {
        var offenders = Nodes(await Document(), "#")
            .Where(n => n.Node.ValueKind == JsonValueKind.Object && n.Node.TryGetProperty("nullable", out var nullable) && nullable.GetBoolean() && !n.Node.TryGetProperty("type", out _))
            .Select(n => n.Path);

        Assert.Empty(offenders);
    }

    [Fact]
    public async Task NoDescriptionOrSummaryHoldsATagOutsideACodeSpan()
    {
        // Swagger UI reads descriptions as Markdown, where <unk> or </s> is an HTML tag, and vanishes.
        var document = await Document();
        var offenders = Nodes(document, "#")
            .Where(n => n.Path.EndsWith("/description", StringComparison.Ordinal) || n.Path.EndsWith("/summary", StringComparison.Ordinal))
            .Where(n => n.Node.ValueKind == JsonValueKind.String && HtmlTag().IsMatch(CodeSpan().Replace(n.Node.GetString()!, "")))
            .Select(n => $"{n.Path}: {n.Node.GetString()}");

        Assert.Empty(offenders);
        var info = document.GetProperty("info").GetProperty("description").GetString();
        Assert.Contains("`</s>`", info, StringComparison.Ordinal);
        Assert.Contains("`<unk>`", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwaggerUiIsServed()
    {
        var response = await app.CreateClient().GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonElement> Document() =>
        await app.CreateClient().GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");

    // A schema, its reference, or a reference wrapped in allOf (how a reference carries its own description).
    private static JsonElement Resolve(JsonElement schemas, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!.Split('/')[^1])
        : schema.TryGetProperty("allOf", out var allOf) ? Resolve(schemas, allOf[0])
        : schema;

    // The example Swagger UI shows and pre-fills: the media type's own, else its schema's, else the one of the schema it refers to.
    private static JsonElement Example(JsonElement schemas, JsonElement media) =>
        media.TryGetProperty("example", out var example) ? example
        : media.TryGetProperty("examples", out var examples) ? examples.EnumerateObject().First().Value.GetProperty("value")
        : media.GetProperty("schema") is var schema && schema.TryGetProperty("example", out var own) ? own
        : Resolve(schemas, schema).TryGetProperty("example", out var referenced) ? referenced
        : default;

    private static IEnumerable<(string Method, string Path, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject().Select(method => (method.Name, path.Name, method.Value)));

    // Every value in the document with its JSON pointer, leaving out examples (an answer may hold anything).
    private static IEnumerable<(string Path, JsonElement Node)> Nodes(JsonElement node, string path)
    {
        yield return (path, node);
        var children = node.ValueKind switch
        {
            JsonValueKind.Object => node.EnumerateObject().Where(p => p.Name is not ("example" or "examples")).Select(p => ($"{path}/{p.Name}", p.Value)),
            JsonValueKind.Array => node.EnumerateArray().Select((item, i) => ($"{path}/{i}", item)),
            _ => [],
        };
        foreach (var (childPath, child) in children)
        {
            foreach (var descendant in Nodes(child, childPath))
            {
                yield return descendant;
            }
        }
    }

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex("</?[A-Za-z]")]
    private static partial Regex HtmlTag();
}

