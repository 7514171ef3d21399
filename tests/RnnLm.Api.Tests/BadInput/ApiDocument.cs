using System.Globalization;
using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>One parameter of an operation, as the OpenAPI document declares it, with its example (or its schema's example or default).</summary>
internal sealed record ApiParameter(string Name, string In, JsonElement Schema, JsonElement? Example);

/// <summary>One operation of the OpenAPI document: what it takes and what it may answer.</summary>
internal sealed record ApiOperation(
    string Method,
    string PathTemplate,
    IReadOnlyList<ApiParameter> Parameters,
    IReadOnlyDictionary<string, JsonElement> BodyContent,
    IReadOnlyDictionary<int, IReadOnlyList<string>> Responses,
    bool Secured,
    IReadOnlyList<string> PathMethods)
{
    public string Name => $"{Method} {PathTemplate}";

    public IEnumerable<ApiParameter> In(string location) => Parameters.Where(p => p.In == location);

    /// <summary>The content types the document gives for a status: null when the status is not documented, empty for no body.</summary>
    public IReadOnlyList<string>? ContentFor(int status) => Responses.TryGetValue(status, out var content) ? content : null;
}

/// <summary>
/// The OpenAPI document the application serves, read into operations and schema look-ups: the generator works from
/// it alone, so a new endpoint is tested without editing the test.
/// </summary>
internal sealed class ApiDocument
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];
    private readonly JsonElement _schemas;

    public ApiDocument(JsonElement root)
    {
        _schemas = root.TryGetProperty("components", out var components) && components.TryGetProperty("schemas", out var schemas) ? schemas : default;
        var operations = new List<ApiOperation>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            var methods = path.Value.EnumerateObject().Where(m => Methods.Contains(m.Name)).ToList();
            operations.AddRange(methods.Select(m => Read(path.Name, m.Name, m.Value, [.. methods.Select(o => o.Name.ToUpperInvariant())])));
        }

        Operations = operations;
    }

    public IReadOnlyList<ApiOperation> Operations { get; }

    /// <summary>A schema with its reference followed (also one wrapped in allOf, how a reference carries its own description).</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        for (var hops = 0; hops < 16 && schema.ValueKind == JsonValueKind.Object; hops++)
        {
            if (schema.TryGetProperty("$ref", out var reference) && _schemas.ValueKind == JsonValueKind.Object)
            {
                schema = _schemas.GetProperty(reference.GetString()!.Split('/')[^1]);
            }
            else if (schema.TryGetProperty("allOf", out var allOf) && allOf.GetArrayLength() == 1)
            {
                schema = allOf[0];
            }
            else
            {
                break;
            }
        }

        return schema;
    }

    /// <summary>The example a schema or the schema it refers to gives, if any.</summary>
    public JsonElement? Example(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (schema.TryGetProperty("example", out var example))
        {
            return example;
        }

        var resolved = Resolve(schema);
        return resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("example", out var referenced) ? referenced : null;
    }

    /// <summary>The schema's type ("object", "array", "string", "integer", "number", "boolean"), or "" when it does not say.</summary>
    public string TypeOf(JsonElement schema)
    {
        var resolved = Resolve(schema);
        return resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("type", out var type) ? type.GetString() ?? "" : "";
    }

    /// <summary>Whether null is a valid value (OpenAPI 3.0 <c>nullable</c>, on the schema or its wrapper).</summary>
    public bool IsNullable(JsonElement schema) =>
        Flag(schema, "nullable") || Flag(Resolve(schema), "nullable");

    /// <summary>The schema's enum values, or an empty list.</summary>
    public IReadOnlyList<JsonElement> EnumOf(JsonElement schema)
    {
        var resolved = Resolve(schema);
        return resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("enum", out var values) ? [.. values.EnumerateArray()] : [];
    }

    /// <summary>An array schema's item schema (an empty schema when it does not say).</summary>
    public JsonElement ItemsOf(JsonElement schema)
    {
        var resolved = Resolve(schema);
        return resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("items", out var items) ? items : default;
    }

    /// <summary>An object schema's properties, in document order.</summary>
    public IReadOnlyList<(string Name, JsonElement Schema)> PropertiesOf(JsonElement schema)
    {
        var resolved = Resolve(schema);
        return resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("properties", out var properties)
            ? [.. properties.EnumerateObject().Select(p => (p.Name, p.Value))]
            : [];
    }

    /// <summary>The schema of one property of an object schema, if declared.</summary>
    public JsonElement? PropertyOf(JsonElement schema, string name) =>
        PropertiesOf(schema).Where(p => p.Name == name).Select(p => (JsonElement?)p.Schema).FirstOrDefault();

    /// <summary>Whether an object schema forbids fields it does not declare.</summary>
    public bool IsClosed(JsonElement schema)
    {
        var resolved = Resolve(schema);
        return resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
    }

    /// <summary>How many arrays and objects deep a valid value of the schema can be (an open schema counts as unbounded).</summary>
    public int Depth(JsonElement schema, int guard = 0)
    {
        if (guard > 16)
        {
            return int.MaxValue;
        }

        return TypeOf(schema) switch
        {
            "array" => Saturating(Depth(ItemsOf(schema), guard + 1)),
            "object" when !IsClosed(schema) => int.MaxValue,
            "object" => Saturating(PropertiesOf(schema).Select(p => Depth(p.Schema, guard + 1)).DefaultIfEmpty(0).Max()),
            "" => int.MaxValue,
            _ => 0,
        };

        static int Saturating(int depth) => depth == int.MaxValue ? depth : depth + 1;
    }

    private static ApiParameter Parameter(JsonElement parameter)
    {
        var schema = parameter.TryGetProperty("schema", out var s) ? s : default;
        var example = parameter.TryGetProperty("example", out var e) ? e
            : schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("example", out e) ? e
            : schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("default", out e) ? e
            : (JsonElement?)null;
        return new ApiParameter(parameter.GetProperty("name").GetString()!, parameter.GetProperty("in").GetString()!, schema, example);
    }

    private static bool Flag(JsonElement schema, string name) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static ApiOperation Read(string path, string method, JsonElement operation, IReadOnlyList<string> pathMethods)
    {
        var parameters = operation.TryGetProperty("parameters", out var list)
            ? list.EnumerateArray().Select(Parameter).ToList()
            : [];
        var body = operation.TryGetProperty("requestBody", out var requestBody) && requestBody.TryGetProperty("content", out var content)
            ? content.EnumerateObject().ToDictionary(c => c.Name, c => c.Value.TryGetProperty("schema", out var s) ? s : default)
            : [];
        var responses = operation.GetProperty("responses").EnumerateObject()
            .Where(r => int.TryParse(r.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .ToDictionary(
                r => int.Parse(r.Name, CultureInfo.InvariantCulture),
                r => (IReadOnlyList<string>)(r.Value.TryGetProperty("content", out var types) ? [.. types.EnumerateObject().Select(t => t.Name)] : []));
        var secured = operation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0;
        return new ApiOperation(method.ToUpperInvariant(), path, parameters, body, responses, secured, pathMethods);
    }
}
