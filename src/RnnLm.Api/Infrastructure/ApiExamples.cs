using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// An example request of an operation, declared once on its endpoint with <see cref="ApiExampleSetup.WithExample"/>. Swagger UI
/// pre-fills it, the answer the shipped model gave to it (stored in ApiExamples/{Tag}.json, by its endpoint's tag) is the
/// operation's example response, and docs/http.md shows both. <c>ApiExampleTests</c> sends every example to the shipped model
/// and fails when the stored answer or the docs have drifted; <c>RNNLM_UPDATE_EXAMPLES=1</c> rewrites them.
/// </summary>
/// <param name="Name">Null for the operation's example request (the one Swagger UI pre-fills); a name for a further one, such as a refused request.</param>
/// <param name="Parameters">Route and query parameters, in the order a URL shows them.</param>
/// <param name="Body">The JSON body, or null.</param>
public sealed partial record ApiExample(string? Name, IReadOnlyList<KeyValuePair<string, object>> Parameters, object? Body)
{
    /// <summary>How the stored answers round numbers with a fraction (<see cref="Round"/>), as the document says beside them.</summary>
    public const string Rounding = "numbers with a fraction rounded to 4 significant digits, and to no fewer than 2 decimals";

    /// <summary>
    /// A figure as stored: 4 significant digits (at least 2 decimals, as a card's perplexities have), so that an answer drifts
    /// when a figure a reader sees changes, not when the last bits of a sum do.
    /// </summary>
    public static double Round(double x) =>
        x == 0 || !double.IsFinite(x) ? x : Math.Round(x, Math.Clamp(3 - (int)Math.Floor(Math.Log10(Math.Abs(x))), 2, 15));

    /// <summary>The key of its stored answer: the operation's name, and for a further example "/" and its name.</summary>
    public string Key(string operationId) => Name is null ? operationId : $"{operationId}/{Name}";

    /// <summary>The request target: route parameters put into the route template, the others as the query string.</summary>
    public string Target(string routeTemplate)
    {
        var path = "/" + routeTemplate.TrimStart('/');
        var query = new List<string>();
        foreach (var (name, value) in Parameters)
        {
            var text = Uri.EscapeDataString(Format(value));
            var placed = RouteParameter().Replace(path, match => match.Groups["name"].Value == name ? text : match.Value);
            if (placed == path)
            {
                query.Add($"{name}={text}");
            }

            path = placed;
        }

        return query.Count == 0 ? path : $"{path}?{string.Join('&', query)}";
    }

    private static string Format(object value) => value switch
    {
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex(@"\{(?<name>[^}:?]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

/// <summary>What the shipped model answered to an example request: the status and the JSON body, numbers rounded.</summary>
public sealed record ApiExampleAnswer(int Status, JsonNode? Body);

public static class ApiExampleSetup
{
    /// <summary>
    /// The stored answers' folder: one file per OpenAPI tag, <c>{Tag}.json</c>, holding the answers of the examples of that tag's
    /// endpoints; embedded in the assembly as <c>ApiExamples/{Tag}.json</c> (see RnnLm.Api.csproj).
    /// </summary>
    public const string AnswersFolder = "ApiExamples";

    /// <summary>The folder in the source tree, relative to the project's folder: what <c>RNNLM_UPDATE_EXAMPLES=1</c> rewrites.</summary>
    public const string AnswersSource = "Infrastructure/" + AnswersFolder;

    private static readonly Lazy<IReadOnlyDictionary<string, ApiExampleAnswer>> Stored = new(() =>
    {
        var assembly = typeof(ApiExampleSetup).Assembly;
        var files = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(AnswersFolder + "/", StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                return KeyValuePair.Create(name, JsonNode.Parse(stream)?.AsObject() ?? []);
            })
            .ToList();
        return files.Count == 0
            ? throw new InvalidOperationException($"No {AnswersFolder}/*.json resource is in the assembly.")
            : MergeAnswers(files);
    });

    /// <summary>The answers built into this assembly, by <see cref="ApiExample.Key"/>.</summary>
    public static IReadOnlyDictionary<string, ApiExampleAnswer> StoredAnswers => Stored.Value;

    /// <summary>Declares an example request of the endpoint (see <see cref="ApiExample"/>).</summary>
    public static RouteHandlerBuilder WithExample(this RouteHandlerBuilder builder, object? body = null, string? name = null, params (string Name, object Value)[] parameters) =>
        builder.WithMetadata(new ApiExample(name, [.. parameters.Select(p => KeyValuePair.Create(p.Name, p.Value))], body));

    /// <summary>An answers file's form: <c>{"Key": {"status": 200, "body": {...}}, ...}</c>.</summary>
    public static IReadOnlyDictionary<string, ApiExampleAnswer> ParseAnswers(JsonObject file) =>
        file.ToDictionary(entry => entry.Key, entry => new ApiExampleAnswer(entry.Value!["status"]!.GetValue<int>(), entry.Value["body"]?.DeepClone()));

    /// <summary>The answers of several files, by file name, as one set.</summary>
    /// <exception cref="InvalidOperationException">Two files hold an answer under the same key.</exception>
    public static IReadOnlyDictionary<string, ApiExampleAnswer> MergeAnswers(IEnumerable<KeyValuePair<string, JsonObject>> files)
    {
        var merged = new Dictionary<string, ApiExampleAnswer>(StringComparer.Ordinal);
        var from = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, answers) in files)
        {
            foreach (var (key, answer) in ParseAnswers(answers))
            {
                if (!from.TryAdd(key, file))
                {
                    throw new InvalidOperationException($"The example answer {key} is stored twice, in {from[key]} and in {file}: keep it in its tag's file only.");
                }

                merged[key] = answer;
            }
        }

        return merged;
    }

    public static JsonObject FormatAnswers(IEnumerable<KeyValuePair<string, ApiExampleAnswer>> answers) =>
        new(answers.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)new JsonObject { ["status"] = a.Value.Status, ["body"] = a.Value.Body?.DeepClone() })));
}

/// <summary>
/// Puts an endpoint's examples into its operation: the example request's parameters and body, and the stored answer to each
/// example under the response of its status.
/// </summary>
internal sealed class ApiExampleOperationFilter(IOptions<JsonOptions> jsonOptions) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var json = jsonOptions.Value.SerializerOptions;
        var description = context.ApiDescription;
        foreach (var example in description.ActionDescriptor.EndpointMetadata.OfType<ApiExample>())
        {
            if (example.Name is null)
            {
                SetRequest(operation, example, json);
            }

            if (operation.OperationId is { } id && ApiExampleSetup.StoredAnswers.TryGetValue(example.Key(id), out var answer)
                && operation.Responses?.GetValueOrDefault(answer.Status.ToString(CultureInfo.InvariantCulture)) is OpenApiResponse { Content: { } content })
            {
                var summary = $"{description.HttpMethod} {example.Target(description.RelativePath ?? "")} on the shipped model";
                foreach (var media in content.Values.OfType<OpenApiMediaType>())
                {
                    media.Examples ??= new Dictionary<string, IOpenApiExample>();
                    media.Examples[example.Name ?? "shippedModel"] = new OpenApiExample
                    {
                        Summary = summary,
                        Description = $"What the shipped model answers to this request, {ApiExample.Rounding}.",
                        Value = answer.Body?.DeepClone(),
                    };
                }
            }
        }
    }

    private static void SetRequest(OpenApiOperation operation, ApiExample example, JsonSerializerOptions json)
    {
        foreach (var (name, value) in example.Parameters)
        {
            var parameter = operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name)
                ?? throw new InvalidOperationException($"The example of {operation.OperationId} sets {name}, which the operation does not have.");
            parameter.Example = JsonSerializer.SerializeToNode(value, value.GetType(), json);
        }

        if (example.Body is { } body && operation.RequestBody?.Content is { } content && content.TryGetValue("application/json", out var jsonBody) && jsonBody is OpenApiMediaType media)
        {
            media.Example = OpenApiSetup.ToNode(body, body.GetType(), json);
        }
    }
}
