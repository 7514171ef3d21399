using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>What came back: the status, the body's media type and text, or why nothing usable came back.</summary>
internal sealed record Observed(int Status, string? MediaType, string Body, string? Error);

/// <summary>A broken promise: a short kind (for grouping) and the detail (for the reader).</summary>
internal sealed record Violation(string Kind, string Detail);

/// <summary>
/// The property every answer must have: a status the operation documents as success (with a body of the declared content
/// type), or a 4xx whose body is RFC 9457 problem details (status equal to the HTTP status, a title); never a 5xx, except
/// a 503 or 507 the operation documents, answered as problem details (a documented error state, not a crash); and in no
/// answer a server path or a stack trace.
/// </summary>
internal static partial class ResponseProperty
{
    public static Violation? Check(HttpCase request, Observed answer, IReadOnlyList<string> serverPaths)
    {
        if (answer.Error is not null)
        {
            // Under Kestrel an exception nothing handled becomes an empty answer: 400 for a BadHttpRequestException, else 500.
            return answer.Error.StartsWith("unhandled", StringComparison.Ordinal)
                ? new Violation("unhandled exception", $"{Excerpt(answer.Error)} (under Kestrel: an empty 400 or 500)")
                : new Violation("no answer", answer.Error);
        }

        // A path whose dot segments climb back to the root (GET /models/..) is, once the server has removed them, a request
        // for the playground page at /: its answer is that page, not the operation's.
        if (answer.Status == 200 && answer.MediaType == "text/html" && request.Method == "GET" && LeadsToRoot(request.Target))
        {
            return Leak(answer.Body, serverPaths);
        }

        var status = answer.Status;
        var violation = status switch
        {
            >= 200 and < 300 => Success(request, answer),
            >= 400 and < 500 => Problem(answer),
            503 or 507 when request.Operation.ContentFor(status) is not null => Problem(answer) is { } p ? p with { Kind = $"documented {status} {p.Kind}" } : null,
            >= 500 => new Violation("server error", Excerpt(answer.Body)),
            _ => new Violation("unexpected status", $"{status}"),
        };
        return violation ?? Leak(answer.Body, serverPaths);
    }

    private static bool LeadsToRoot(string target)
    {
        var path = target.Split('?')[0].Replace("%2E", ".", StringComparison.OrdinalIgnoreCase);
        return Uri.TryCreate(new Uri("http://localhost"), path, out var resolved) && resolved.AbsolutePath == "/";
    }

    /// <summary>A server path or a stack trace in any answer.</summary>
    private static Violation? Leak(string body, IReadOnlyList<string> serverPaths)
    {
        if (serverPaths.FirstOrDefault(p => body.Contains(p, StringComparison.Ordinal) || body.Contains(JsonEscaped(p), StringComparison.Ordinal)) is { } path)
        {
            return new Violation("server path in the answer", $"{path} in {Excerpt(body)}");
        }

        return StackFrame().IsMatch(body) ? new Violation("stack trace in the answer", Excerpt(body)) : null;
    }

    private static Violation? Success(HttpCase request, Observed answer)
    {
        if (request.MustReject)
        {
            return new Violation("accepted a request the document rules out", string.Join("; ", request.Mutations.Where(m => m.Length > 0)));
        }

        if (request.Operation.ContentFor(answer.Status) is not { } types)
        {
            return new Violation("undocumented success status", $"{answer.Status}; documented: {string.Join(", ", request.Operation.Responses.Keys)}");
        }

        if (types.Count == 0)
        {
            return answer.Body.Length == 0 ? null : new Violation("body where none is documented", Excerpt(answer.Body));
        }

        if (answer.MediaType is null || !types.Contains(answer.MediaType, StringComparer.OrdinalIgnoreCase))
        {
            return new Violation("content type not documented", $"{answer.MediaType ?? "none"}; documented: {string.Join(", ", types)}");
        }

        return answer.MediaType switch
        {
            "application/json" => JNode.IsJson(answer.Body) ? null : new Violation("success body is not JSON", Excerpt(answer.Body)),
            "text/event-stream" => answer.Body.StartsWith("event:", StringComparison.Ordinal) || answer.Body.StartsWith("id:", StringComparison.Ordinal)
                || answer.Body.StartsWith("data:", StringComparison.Ordinal) ? null : new Violation("event stream does not start with an event", Excerpt(answer.Body)),
            _ => null,
        };
    }

    private static Violation? Problem(Observed answer)
    {
        if (answer.Body.Length == 0)
        {
            return new Violation("error without a body", $"{answer.Status}, Content-Type {answer.MediaType ?? "none"}");
        }

        if (answer.MediaType != "application/problem+json")
        {
            return new Violation("error not problem+json", $"Content-Type {answer.MediaType ?? "none"}: {Excerpt(answer.Body)}");
        }

        JsonElement problem;
        try
        {
            problem = JsonDocument.Parse(answer.Body).RootElement;
        }
        catch (JsonException)
        {
            return new Violation("problem details not JSON", Excerpt(answer.Body));
        }

        if (problem.ValueKind != JsonValueKind.Object || !problem.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Number || status.GetInt32() != answer.Status)
        {
            return new Violation("problem status differs from the HTTP status", Excerpt(answer.Body));
        }

        return problem.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(title.GetString())
            ? null
            : new Violation("problem without a title", Excerpt(answer.Body));
    }

    /// <summary>Text cut to a few hundred characters, with control characters and invalid UTF-8 shown as escapes.</summary>
    public static string Excerpt(string text, int max = 300)
    {
        var shown = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            shown.Append(c is < ' ' or '\u007f' or (>= '\u0080' and < '\u00a0') || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c);
        }

        return text.Length > max ? $"{shown}… ({text.Length:N0} characters)" : shown.ToString();
    }

    private static string JsonEscaped(string path) => JsonSerializer.Serialize(path)[1..^1];

    [GeneratedRegex(@"\bat [A-Za-z_][\w.`<>]*\.[\w<>`]+\(", RegexOptions.CultureInvariant)]
    private static partial Regex StackFrame();
}
