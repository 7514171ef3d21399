using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RnnLm.Api.Tests;

/// <summary>
/// The generated parts of the docs (README.md and docs/*.md, <see cref="RepositoryDocs"/>): each sits between <c>&lt;!-- example: KEY --&gt;</c> and <c>&lt;!-- /example --&gt;</c> (a fenced
/// block, or a phrase inside a sentence), and parts only checked for their shape between <c>&lt;!-- example-shape --&gt;</c>
/// and <c>&lt;!-- /example-shape --&gt;</c>.
/// </summary>
internal static partial class ReadmeExamples
{
    /// <summary>Where the docs' commands send their requests (the port of launchSettings.json).</summary>
    public const string Server = "localhost:5080";

    /// <summary>The key the docs' commands send where an endpoint needs one.</summary>
    public const string ApiKey = "change-me";

    private const int Width = 120;
    private const int MaxScalars = 20;
    private const int MaxItems = 3;
    private const int MaxProperties = 6;

    /// <summary>The generated parts by key, as a page holds them now.</summary>
    public static IReadOnlyDictionary<string, string> Generated(string readme) =>
        Block().Matches(readme).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["body"].Value);

    /// <summary>A page with every generated part replaced by what <paramref name="render"/> makes of its key.</summary>
    public static string Rewrite(string readme, Func<string, string> render) =>
        Block().Replace(readme, m => $"<!-- example: {m.Groups["key"].Value} -->{render(m.Groups["key"].Value)}<!-- /example -->");

    /// <summary>The parts checked for their shape.</summary>
    public static IEnumerable<string> ShapeParts(string readme) => ShapeBlock().Matches(readme).Select(m => m.Groups["body"].Value);

    /// <summary>The shell comments of a part: whole comment lines, and what follows " # " after a command.</summary>
    public static string Comments(string part) => string.Join('\n', part.Split('\n').Select(line =>
        line.TrimStart().StartsWith('#') ? line.TrimStart()[1..] : line.Contains(" # ", StringComparison.Ordinal) ? line[(line.IndexOf(" # ", StringComparison.Ordinal) + 3)..] : ""));

    /// <summary>The JSON bodies a part's commands send: <c>-d '{...}'</c> and a form field <c>settings={...}</c>.</summary>
    public static string RequestBodies(string part) => string.Join('\n', RequestBody().Matches(part).Select(m => m.Groups["json"].Value));

    /// <summary>An example as the docs show it: the curl command, then the answer as a shell comment, abridged.</summary>
    public static string Render(SentExample example, JsonNode? answer)
    {
        var text = new StringBuilder("\n```bash\n").Append(Curl(example)).Append('\n');
        foreach (var line in Wrap(Json(answer, abridged: true)))
        {
            text.Append(line).Append('\n');
        }

        return text.Append("```\n").ToString();
    }

    public static string Curl(SentExample example)
    {
        var url = Server + example.Target;
        var command = new StringBuilder("curl -s");
        command.Append(example.Method == "GET" ? "" : $" -X {example.Method}").Append(' ').Append(url.Contains('?', StringComparison.Ordinal) ? Quote(url) : url);
        if (example.NeedsApiKey)
        {
            command.Append($" -H 'X-Api-Key: {ApiKey}'");
        }

        if (example.Body is { } body)
        {
            command.Append(" -H 'Content-Type: application/json' \\\n  -d ").Append(Quote(Json(body, abridged: false)));
        }

        return command.ToString();
    }

    // Single-quoted for the shell: a quote inside ends the string, adds a double-quoted one, and starts again.
    private static string Quote(string text) => $"'{text.Replace("'", "'\"'\"'", StringComparison.Ordinal)}'";

    /// <summary>
    /// Compact JSON; abridged, it keeps 20 items of an array of plain values, 3 of any other array and 6 properties of a nested
    /// object, says "..." for the rest, and marks with \u0001 where a line may end (after each comma). Unabridged (a request
    /// body), it is spaced as people write it.
    /// </summary>
    private static string Json(JsonNode? node, bool abridged)
    {
        var text = new StringBuilder();
        new JsonWriter(text, abridged).Write(node, depth: 0);
        return text.ToString();
    }

    private sealed class JsonWriter(StringBuilder text, bool abridged)
    {
        private readonly string _comma = abridged ? ",\u0001" : ", ";
        private readonly string _colon = abridged ? ":" : ": ";

        public void Write(JsonNode? node, int depth)
        {
            switch (node)
            {
                case JsonObject obj:
                    var properties = obj.ToList();
                    var shown = abridged && depth > 0 ? Math.Min(properties.Count, MaxProperties) : properties.Count;
                    text.Append('{');
                    Items(properties.Take(shown).Select<KeyValuePair<string, JsonNode?>, Action>(p => () =>
                    {
                        text.Append(JsonValue.Create(p.Key).ToJsonString(ApiExampleKit.Readable)).Append(_colon);
                        Write(p.Value, depth + 1);
                    }), shown < properties.Count);
                    text.Append('}');
                    break;
                case JsonArray array:
                    var limit = !abridged ? array.Count : array.All(item => item is JsonValue or null) ? MaxScalars : MaxItems;
                    text.Append('[');
                    Items(array.Take(limit).Select<JsonNode?, Action>(item => () => Write(item, depth + 1)), array.Count > limit);
                    text.Append(']');
                    break;
                default:
                    text.Append(node?.ToJsonString(ApiExampleKit.Readable) ?? "null");
                    break;
            }
        }

        private void Items(IEnumerable<Action> items, bool more)
        {
            var first = true;
            foreach (var item in items)
            {
                text.Append(first ? "" : _comma);
                item();
                first = false;
            }

            text.Append(more ? (first ? "..." : _comma + "...") : "");
        }
    }

    // The comment lines: "# " then the JSON, continued on lines starting "#  ", each at most Width characters where the JSON allows.
    private static IEnumerable<string> Wrap(string json)
    {
        var line = new StringBuilder("# ");
        foreach (var piece in json.Split('\u0001'))
        {
            if (line.Length > 3 && line.Length + piece.Length > Width)
            {
                yield return line.ToString();
                line.Clear().Append("#  ");
            }

            line.Append(piece);
        }

        yield return line.ToString();
    }

    [GeneratedRegex(@"<!-- example: (?<key>[^>]+?) -->(?<body>.*?)<!-- /example -->", RegexOptions.Singleline)]
    private static partial Regex Block();

    [GeneratedRegex(@"(-d '|settings=)(?<json>\{.*?\})'", RegexOptions.Singleline)]
    private static partial Regex RequestBody();

    [GeneratedRegex(@"<!-- example-shape -->(?<body>.*?)<!-- /example-shape -->", RegexOptions.Singleline)]
    private static partial Regex ShapeBlock();
}
