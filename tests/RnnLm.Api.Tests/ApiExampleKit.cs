using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Tests;

/// <summary>
/// An endpoint's example request as it is sent: method, target, JSON body, and whether it needs the API key; with the endpoint's
/// (first) OpenAPI tag, which names the file its answer is stored in.
/// </summary>
internal sealed record SentExample(string Key, string Tag, string Method, string Target, JsonNode? Body, bool NeedsApiKey, ApiExample Example);

/// <summary>Finds the examples the endpoints declare, sends them, and brings the answers to the form they are stored in.</summary>
internal static partial class ApiExampleKit
{
    /// <summary>Set to 1 to rewrite the stored answers and the docs' example blocks instead of checking them.</summary>
    public const string UpdateVariable = "RNNLM_UPDATE_EXAMPLES";

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>JSON as a person reads it: <c>&lt;unk&gt;</c> and apostrophes as themselves, not as \u escapes.</summary>
    public static JsonSerializerOptions Readable { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    /// <summary>Every example the endpoints declare, in the order the endpoints are mapped.</summary>
    public static IReadOnlyList<SentExample> Examples(IServiceProvider services)
    {
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().SelectMany(endpoint =>
            endpoint.Metadata.GetOrderedMetadata<ApiExample>().Select(example => new SentExample(
                example.Key(endpoint.Metadata.GetRequiredMetadata<IEndpointNameMetadata>().EndpointName),
                endpoint.Metadata.GetOrderedMetadata<ITagsMetadata>().SelectMany(t => t.Tags).FirstOrDefault()
                    ?? throw new InvalidOperationException($"{endpoint.RoutePattern.RawText} declares an example but has no tag to file its answer under."),
                endpoint.Metadata.GetRequiredMetadata<IHttpMethodMetadata>().HttpMethods[0],
                example.Target(endpoint.RoutePattern.RawText!),
                example.Body is null ? null : OpenApiSetup.ToNode(example.Body, example.Body.GetType(), json),
                endpoint.Metadata.GetMetadata<RequiresApiKeyMetadata>() is not null,
                example)))];
    }

    /// <summary>Sends the example and returns its answer with every number rounded as stored.</summary>
    public static async Task<ApiExampleAnswer> SendAsync(HttpClient client, SentExample example, string apiKey)
    {
        using var request = new HttpRequestMessage(new HttpMethod(example.Method), example.Target);
        if (example.Body is { } body)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        if (example.NeedsApiKey)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiExampleAnswer((int)response.StatusCode, Round(text.Length == 0 ? null : JsonNode.Parse(text)));
    }

    /// <summary>Every number that has a fraction rounded as <see cref="ApiExample.Round"/> says; whole numbers stay.</summary>
    public static JsonNode? Round(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Round(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Round)]),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number && value.ToJsonString().IndexOfAny(['.', 'e', 'E']) >= 0 =>
            JsonValue.Create(ApiExample.Round(value.GetValue<double>())),
        _ => node?.DeepClone(),
    };

    /// <summary>
    /// The live answer, except where a value says when or which request rather than what the model computed (a timestamp,
    /// a trace id): there the stored value stays, so that only figures can drift and a rewrite changes nothing else.
    /// </summary>
    public static JsonNode? Settle(JsonNode? live, JsonNode? stored, string? name = null) => (live, stored) switch
    {
        (JsonObject l, JsonObject s) => new JsonObject(l.Select(p => KeyValuePair.Create(p.Key, Settle(p.Value, s[p.Key], p.Key)))),
        (JsonArray l, JsonArray s) => new JsonArray([.. l.Select((item, i) => Settle(item, i < s.Count ? s[i] : null))]),
        (JsonValue l, JsonValue s) when IsCircumstance(name, l) && IsCircumstance(name, s) => s.DeepClone(),
        _ => live?.DeepClone(),
    };

    private static bool IsCircumstance(string? name, JsonValue value) =>
        name == "traceId" || (value.GetValueKind() == JsonValueKind.String && Timestamp().IsMatch(value.GetValue<string>()));

    /// <summary>A stored answers file's text: indented, readable, one entry per example in endpoint order.</summary>
    public static string FileText(IEnumerable<KeyValuePair<string, ApiExampleAnswer>> answers) =>
        ApiExampleSetup.FormatAnswers(answers).ToJsonString(Readable) + "\n";

    /// <summary>Answers as text to compare: entries in key order, so that neither the order within a file nor the order of the files matters.</summary>
    public static string SortedText(IEnumerable<KeyValuePair<string, ApiExampleAnswer>> answers) =>
        FileText(answers.OrderBy(a => a.Key, StringComparer.Ordinal));

    /// <summary><see cref="SortedText"/> of an answers file's text; an empty text (no file yet) stays empty.</summary>
    public static string SortedFileText(string text) =>
        text.Length == 0 ? text : SortedText(ApiExampleSetup.ParseAnswers(JsonNode.Parse(text)!.AsObject()));

    /// <summary>JSON text to compare: numbers as .NET writes doubles, since another writer may spell one differently (-8.4E-05, -0.000084).</summary>
    public static string Text(JsonNode? node) => Numbers(node)?.ToJsonString(Readable) ?? "null";

    private static JsonNode? Numbers(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Numbers(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Numbers)]),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => JsonValue.Create(value.GetValue<double>()),
        _ => node?.DeepClone(),
    };

    /// <summary>
    /// A repository file, or (updating) the file written or rewritten to what it should hold, with the parts that differ described.
    /// With <paramref name="comparable"/>, the file and what it should hold are compared in that form.
    /// </summary>
    public static void CheckOrWrite(string path, string expected, string what, Func<string, string>? comparable = null)
    {
        comparable ??= text => text;
        var actual = comparable(File.Exists(path) ? File.ReadAllText(path) : "");
        if (actual == comparable(expected))
        {
            return;
        }

        if (Updating)
        {
            File.WriteAllText(path, expected);
            return;
        }

        expected = comparable(expected);

        var line = actual.Split('\n').Zip(expected.Split('\n')).TakeWhile(pair => pair.First == pair.Second).Count();
        Assert.Fail($"{what} in {path} no longer matches what the shipped model answers, from line {line + 1}:\n  is:        {Line(actual, line)}\n  should be: {Line(expected, line)}\n"
            + $"Rewrite it with: {UpdateVariable}=1 dotnet test tests/RnnLm.Api.Tests -c Release --filter FullyQualifiedName~ApiExampleTests");
    }

    private static string Line(string text, int index) => text.Split('\n').ElementAtOrDefault(index) ?? "(end of file)";

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", RegexOptions.CultureInvariant)]
    private static partial Regex Timestamp();

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
