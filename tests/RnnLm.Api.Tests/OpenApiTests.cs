using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RnnLm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class OpenApiTests(RnnLmApplication app)
{
    private static readonly (string Method, string Path)[] Endpoints =
        [("post", "/score"), ("get", "/next"), ("post", "/generate"), ("get", "/model"), ("post", "/tokenize")];

    [Fact]
    public async Task TheOpenApiDocumentListsEveryEndpointWithASummaryAndADescription()
    {
        var document = await Document();
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => (Method: method.Name, Path: path.Name)))
            .ToArray();
        Assert.Equal(
            new HashSet<(string, string)>([.. Endpoints, ("post", "/jobs"), ("get", "/jobs"), ("get", "/jobs/{id}"), ("get", "/jobs/{id}/events"), ("delete", "/jobs/{id}"),
                ("get", "/models"), ("get", "/models/{id}"), ("post", "/models/{id}/activate"), ("delete", "/models/{id}")]),
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
    public async Task EveryParameterAndRequestFieldHasADescriptionAndEveryRequestAnExample()
    {
        var document = await Document();
        var schemas = document.GetProperty("components").GetProperty("schemas");

        foreach (var (method, path) in Endpoints)
        {
            var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : default)
            {
                Assert.False(string.IsNullOrWhiteSpace(parameter.GetProperty("description").GetString()), $"{path}?{parameter.GetProperty("name")} has no description");
                Assert.True(parameter.TryGetProperty("example", out _), $"{path}?{parameter.GetProperty("name")} has no example");
            }

            if (operation.TryGetProperty("requestBody", out var body))
            {
                var reference = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
                var schema = Resolve(schemas, reference);
                Assert.True(Example(schemas, reference).ValueKind == JsonValueKind.Object, $"{method} {path}: the request has no example");
                foreach (var property in schema.GetProperty("properties").EnumerateObject())
                {
                    Assert.False(string.IsNullOrWhiteSpace(property.Value.GetProperty("description").GetString()), $"{path}: {property.Name} has no description");
                }
            }

            var ok = operation.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.True(Example(schemas, ok).ValueKind == JsonValueKind.Object, $"{method} {path}: the response has no example");
        }
    }

    [Fact]
    public async Task TryingEveryEndpointWithItsDocumentedExampleSucceeds()
    {
        var document = await Document();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var client = app.CreateClient();

        foreach (var (method, path) in Endpoints)
        {
            var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
            var query = operation.TryGetProperty("parameters", out var parameters)
                ? "?" + string.Join('&', parameters.EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()}={Uri.EscapeDataString(p.GetProperty("example").ToString())}"))
                : "";
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path + query);
            if (operation.TryGetProperty("requestBody", out var body))
            {
                var example = Example(schemas, body.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
                request.Content = JsonContent.Create(example);
            }

            var response = await client.SendAsync(request);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task ManagementOperationsDeclareTheApiKey()
    {
        var document = await Document();
        var paths = document.GetProperty("paths");

        Assert.Equal("X-Api-Key", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
        foreach (var (method, path) in new[] { ("post", "/jobs"), ("delete", "/jobs/{id}"), ("post", "/models/{id}/activate"), ("delete", "/models/{id}") })
        {
            Assert.True(paths.GetProperty(path).GetProperty(method).TryGetProperty("security", out _), $"{method} {path} does not declare the key");
        }

        Assert.False(paths.GetProperty("/jobs").GetProperty("get").TryGetProperty("security", out _));
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

    // The example Swagger UI shows and pre-fills: the schema's own, or the one of the schema it refers to.
    private static JsonElement Example(JsonElement schemas, JsonElement schema) =>
        schema.TryGetProperty("example", out var example) ? example
        : Resolve(schemas, schema).TryGetProperty("example", out var referenced) ? referenced
        : default;
}
