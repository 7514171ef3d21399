using System.Text;
using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>A request ready to send, and what went into it.</summary>
internal sealed record HttpCase(
    ApiOperation Operation,
    string Method,
    string Target,
    IReadOnlyList<(string Name, string Value)> Headers,
    string? ContentType,
    byte[]? Body,
    IReadOnlyList<string> Mutations,
    bool MustReject)
{
    /// <summary>The mutation kinds (the part of each tag before its detail), the short signature of what was wrong with the request.</summary>
    public IEnumerable<string> MutationKinds => Mutations.Select(m => m.Split(" = ")[0]).Distinct().Order(StringComparer.Ordinal);
}

/// <summary>One part of a multipart/form-data body; <see cref="Content"/> null for the settings part means "the draft's JSON".</summary>
internal sealed class FormPart(string? disposition, string? fileName, string? content)
{
    public string? Disposition { get; set; } = disposition;

    public string? FileName { get; set; } = fileName;

    public string? Content { get; set; } = content;
}

/// <summary>
/// A request under construction: a near-valid request for one operation, which mutations then break one part at a time.
/// Text may carry <see cref="InvalidUtf8"/> markers; URL parts are kept percent-encoded, exactly as sent.
/// </summary>
internal sealed class Draft(ApiOperation operation, JsonElement bodySchema)
{
    private readonly List<(string At, string Tag, bool Invalid)> _marks = [];

    public ApiOperation Operation { get; } = operation;

    public string Method { get; set; } = operation.Method;

    /// <summary>Path parameter values, percent-encoded.</summary>
    public Dictionary<string, string> PathValues { get; } = [];

    /// <summary>Query parameters in order, names and values percent-encoded; a null value is a name without '='.</summary>
    public List<(string Name, string? Value)> Query { get; } = [];

    public List<(string Name, string Value)> Headers { get; } = [];

    /// <summary>The body's media type as the document names it ("application/json", "multipart/form-data"), or null for no body.</summary>
    public string? BodyType { get; set; }

    /// <summary>The Content-Type header sent with a body; null sends none.</summary>
    public string? ContentType { get; set; }

    /// <summary>The JSON body, or the settings field of a multipart body.</summary>
    public JNode? Json { get; set; }

    /// <summary>The schema <see cref="Json"/> should follow.</summary>
    public JsonElement JsonSchema { get; set; } = bodySchema;

    public List<FormPart> Parts { get; } = [];

    public string Boundary { get; set; } = "----rnnlm-property-boundary";

    /// <summary>Replaces the body built from <see cref="Json"/> or <see cref="Parts"/> when set.</summary>
    public byte[]? RawBody { get; set; }

    /// <summary>Edits of the finished body's bytes (truncation, a BOM, trailing garbage), in order.</summary>
    public List<Func<byte[], byte[]>> ByteEdits { get; } = [];

    /// <summary>What the mutations still in effect did, in order.</summary>
    public IEnumerable<string> Tags => _marks.Select(m => m.Tag);

    /// <summary>Whether a mutation still in effect made the request invalid by the document's own terms, so a 2xx would be wrong.</summary>
    public bool MustReject => _marks.Any(m => m.Invalid && !(m.Tag.StartsWith("json: invalid UTF-8", StringComparison.Ordinal) && DeclaresAnotherCharset));

    // A body declared in another charset (latin1) is decoded from it: its bytes are other text then, not invalid UTF-8.
    private bool DeclaresAnotherCharset => ContentType is { } type && type.Contains("charset=", StringComparison.OrdinalIgnoreCase)
        && !type.Contains("charset=utf-8", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name of the JSON document mutations change, as the start of their paths.</summary>
    public string JsonRoot => BodyType == "multipart/form-data" ? "settings" : "json";

    /// <summary>Whether a JSON document is sent that mutations can change: the body, or a multipart body's settings.</summary>
    public bool HasJson => Json is not null && RawBody is null;

    public bool HasJsonBody => BodyType == "application/json" && HasJson;

    public bool HasMultipartBody => BodyType == "multipart/form-data" && RawBody is null;

    /// <summary>
    /// Records a mutation made at a place in the request (<c>query:top</c>, <c>json.text</c>, <c>header:Accept</c>,
    /// <c>body</c> for all of it); it undoes the record of earlier ones made there or inside it, which it has overwritten.
    /// </summary>
    public void Mark(string at, string tag, bool invalid)
    {
        _marks.RemoveAll(m => Inside(m.At, at) || (at == "body" && (Inside(m.At, "json") || Inside(m.At, "settings"))));
        _marks.Add((at, tag, invalid));

        static bool Inside(string place, string at) => place == at || (place.StartsWith(at, StringComparison.Ordinal) && place[at.Length] is '.' or '[' or '#');
    }

    public void Header(string name, string? value)
    {
        Headers.RemoveAll(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
        if (value is not null)
        {
            Headers.Add((name, value));
        }
    }

    public HttpCase Build()
    {
        var path = Operation.PathTemplate;
        foreach (var (name, value) in PathValues)
        {
            path = path.Replace("{" + name + "}", value, StringComparison.Ordinal);
        }

        var query = Query.Count == 0 ? "" : "?" + string.Join('&', Query.Select(q => q.Value is null ? q.Name : $"{q.Name}={q.Value}"));
        var body = Body();
        return new HttpCase(Operation, Method, path + query, [.. Headers], body is null ? null : ContentType, body, [.. Tags], MustReject);
    }

    private byte[]? Body()
    {
        var body = RawBody ?? BodyType switch
        {
            "application/json" => Json is null ? [] : InvalidUtf8.Encode(Json.ToString()),
            "multipart/form-data" => InvalidUtf8.Encode(Multipart()),
            _ => null,
        };
        return body is null ? null : ByteEdits.Aggregate(body, (bytes, edit) => edit(bytes));
    }

    private string Multipart()
    {
        var text = new StringBuilder();
        foreach (var part in Parts)
        {
            text.Append("--").Append(Boundary).Append("\r\n");
            if (part.Disposition is not null)
            {
                text.Append("Content-Disposition: form-data; ").Append(part.Disposition)
                    .Append(part.FileName is null ? "" : $"; filename=\"{part.FileName}\"").Append("\r\n");
            }

            text.Append(part.FileName is null ? "" : "Content-Type: text/plain\r\n").Append("\r\n");
            text.Append(part.Content ?? Json?.ToString() ?? "").Append("\r\n");
        }

        return text.Append("--").Append(Boundary).Append("--\r\n").ToString();
    }
}
