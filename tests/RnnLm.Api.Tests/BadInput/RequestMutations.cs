using System.Globalization;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>What mutations may draw on: the document, value generators, the API key, the body limits, ids the service has answered with.</summary>
internal sealed record MutationContext(ApiDocument Document, ValueGenerator Values, string ApiKey, IReadOnlyList<int> BodyLimits, IReadOnlyList<string> KnownIds)
{
    /// <summary>A size about one of the body limits: just under, just over, or well over.</summary>
    public int SizeNearALimit(Random random)
    {
        var limit = BodyLimits[random.Next(BodyLimits.Count)];
        int[] offsets = [-300, 1, 5000];
        return Math.Max(16, limit + offsets[random.Next(offsets.Length)]);
    }
}

/// <summary>
/// One way to break a request: <see cref="Apply"/> changes the draft and tags it with <see cref="Kind"/> and what it did.
/// <see cref="Weight"/> below 1 for mutations that apply to every operation, so that they do not crowd out the specific ones.
/// </summary>
internal sealed record Mutation(string Kind, Func<Draft, bool> Applies, Action<Draft, Random, MutationContext> Apply, double Weight = 1)
{
    public const double Everywhere = 0.35;

    public static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>Records the mutation made <paramref name="at"/> a place in the request (see <see cref="Draft.Mark"/>).</summary>
    public static void Tag(Draft draft, string at, string kind, string detail, bool invalid) => draft.Mark(at, $"{kind} = {detail}", invalid);
}

/// <summary>Mutations of the URL, the headers and the method.</summary>
internal static class RequestMutations
{
    private const string ForgedLine = "%0D%0A%5B05:00:00%20ERR%5D%20forged";

    // Percent-encoded values for an integer parameter, and whether an int32 schema accepts them (null: arguable, not judged).
    private static readonly (string Text, bool? Valid)[] IntegerTexts =
    [
        ("1e308", false), ("99999999999999999999", false), ("9007199254740993", false), ("-0", true), ("2147483648", false), ("-2147483649", false),
        ("NaN", false), ("Infinity", false), ("-Infinity", false), ("0x10", false), ("%2B5", null), ("%205", null), ("5%20", null), ("%D9%A5", false),
        ("1_000", false), ("1.5", false), ("abc", false), ("true", false), ("%5B%5D", false), ("5abc", false), ("1e3", false), ("", null),
    ];

    private static readonly string[] ControlTexts =
        ["It%00said", "It" + ForgedLine, "%1B%5B31m", "%7F", "It%C2%85said", "It%E2%80%A8said", "%09", "It%EF%BB%BFsaid", "%00"];

    private static readonly string[] UnknownParameters = ["bogus=1", "%00=1", "%FF=1", "=5", "&", "x[]=5", "__proto__=1", "a=%00"];

    private static readonly string[] OddSegments = ["..", ".", "%2E%2E", "a%2Fb", "%5C", "%20", "a%3Fb", "%25", "%23", "%2F", "a;b", "~", "%2e"];

    private static readonly string[] Accepts =
        ["application/xml", "text/plain", "*/*;q=0", "application/json;q=0", "text/event-stream", "garbage", "", "application/problem+json", "text/html,application/xhtml+xml", new string('a', 5000) + "/x"];

    // A Content-Type for a body, and whether the document rules it out (the body's own types, and JSON by any other name, are arguable).
    private static readonly (string? Value, bool Invalid)[] ContentTypes =
    [
        (null, true), ("text/plain", true), ("application/xml", true), ("application/json; charset=utf-16", false), ("application/json; charset=latin1", false),
        ("application/x-www-form-urlencoded", false), ("multipart/form-data", true), ("application/problem+json", false), ("application/merge-patch+json", false),
        ("*/*", false), ("garbage", true), ("application/json; boundary=x", false), ("multipart/mixed; boundary=x", false), ("Application/JSON", false), ("application/json;;;", false),
    ];

    public static IEnumerable<Mutation> All()
    {
        yield return new("query: wrong type", d => IntegerQuery(d).Any(), (d, r, _) =>
        {
            var (text, _) = Mutation.Pick(r, IntegerTexts.Where(t => t.Valid == false).ToArray());
            SetQuery(d, Mutation.Pick(r, IntegerQuery(d).ToArray()).Name, text, "query: wrong type", true);
        });
        yield return new("query: extreme number", d => IntegerQuery(d).Any(), (d, r, _) =>
        {
            var (text, valid) = Mutation.Pick(r, IntegerTexts);
            SetQuery(d, Mutation.Pick(r, IntegerQuery(d).ToArray()).Name, text, "query: extreme number", valid == false);
        });
        yield return new("query: control characters", d => d.Operation.In("query").Any(), (d, r, c) =>
        {
            var parameter = Mutation.Pick(r, d.Operation.In("query").ToArray());
            SetQuery(d, parameter.Name, Mutation.Pick(r, ControlTexts), "query: control characters", c.Document.TypeOf(parameter.Schema) is "integer" or "number");
        });
        yield return new("query: invalid UTF-8", d => d.Operation.In("query").Any(), (d, r, c) =>
        {
            var parameter = Mutation.Pick(r, d.Operation.In("query").ToArray());
            SetQuery(d, parameter.Name, "It" + InvalidUtf8.PercentEncoded(r.Next(InvalidUtf8.Count)) + "said", "query: invalid UTF-8", c.Document.TypeOf(parameter.Schema) is "integer" or "number");
        });
        yield return new("query: repeated parameter", d => d.Operation.In("query").Any(), RepeatQuery);
        yield return new("query: unknown parameter", _ => true, (d, r, _) =>
        {
            var parameter = Mutation.Pick(r, UnknownParameters);
            var cut = parameter.IndexOf('=', StringComparison.Ordinal);
            d.Query.Insert(r.Next(d.Query.Count + 1), cut < 0 ? (parameter, null) : (parameter[..cut], parameter[(cut + 1)..]));
            Mutation.Tag(d, $"query:+{parameter}", "query: unknown parameter", parameter, false);
        }, Mutation.Everywhere);
        yield return new("query: huge value", d => d.Operation.In("query").Any(), (d, r, c) =>
        {
            var parameter = Mutation.Pick(r, d.Operation.In("query").ToArray());
            var length = r.Next(2) == 0 ? 5_000 : 30_000;
            var numeric = c.Document.TypeOf(parameter.Schema) is "integer" or "number";
            var text = numeric ? new string('9', length) : string.Concat(Enumerable.Repeat("It%20said%20", length / 12));
            SetQuery(d, parameter.Name, text, "query: huge value", numeric, $"{length:N0} characters");
        });
        yield return new("query: empty value", d => d.Operation.In("query").Any(), (d, r, _) =>
        {
            var parameter = Mutation.Pick(r, d.Operation.In("query").ToArray());
            d.Query.RemoveAll(q => q.Name == parameter.Name);
            d.Query.Add((parameter.Name, r.Next(2) == 0 ? "" : null));
            Mutation.Tag(d, $"query:{parameter.Name}", "query: empty value", parameter.Name, false);
        });
        foreach (var mutation in PathMutations())
        {
            yield return mutation;
        }

        foreach (var mutation in HeaderMutations())
        {
            yield return mutation;
        }

        yield return new("method: undocumented", d => UndocumentedMethods(d).Any(), (d, r, _) =>
        {
            d.Method = Mutation.Pick(r, UndocumentedMethods(d).ToArray());
            Mutation.Tag(d, "method", "method: undocumented", d.Method, true);
        }, Mutation.Everywhere);
    }

    private static IEnumerable<Mutation> PathMutations()
    {
        static bool HasPath(Draft d) => d.PathValues.Count > 0;
        yield return new("path: unknown id", HasPath, (d, r, _) => SetPath(d, r, $"x{r.Next():x}", "path: unknown id"));
        yield return new("path: control characters", HasPath, (d, r, _) => SetPath(d, r, Mutation.Pick(r, ControlTexts), "path: control characters"));
        yield return new("path: invalid UTF-8", HasPath, (d, r, _) => SetPath(d, r, "a" + InvalidUtf8.PercentEncoded(r.Next(InvalidUtf8.Count)), "path: invalid UTF-8"));
        yield return new("path: huge segment", HasPath, (d, r, _) => SetPath(d, r, new string('a', r.Next(2) == 0 ? 300 : 10_000), "path: huge segment"));
        yield return new("path: odd segment", HasPath, (d, r, _) => SetPath(d, r, Mutation.Pick(r, OddSegments), "path: odd segment"));
    }

    private static IEnumerable<Mutation> HeaderMutations()
    {
        yield return new("header: API key", _ => true, (d, r, c) =>
        {
            (string? Value, string Name)[] keys =
            [
                (null, "missing"), ("wrong-key", "wrong"), ("", "empty"), (c.ApiKey.ToUpperInvariant(), "upper case"), (c.ApiKey + " ", "trailing space"),
                (new string('k', 10_000), "10,000 characters"), ("t\u00e9st-key", "non-ASCII"), ("test\u0001key", "control character"), (c.ApiKey + "\r\nX-Injected: 1", "CR LF"),
            ];
            var (value, name) = Mutation.Pick(r, keys);
            d.Header("X-Api-Key", value);
            Mutation.Tag(d, "header:X-Api-Key", "header: API key", name, d.Operation.Secured && name != "trailing space");
        });
        yield return new("header: API key on an open operation", d => !d.Operation.Secured, (d, _, c) =>
        {
            d.Header("X-Api-Key", c.ApiKey);
            Mutation.Tag(d, "header:X-Api-Key", "header: API key on an open operation", "the right key", false);
        }, Mutation.Everywhere);
        yield return new("header: odd Accept", _ => true, (d, r, _) =>
        {
            var accept = Mutation.Pick(r, Accepts);
            d.Header("Accept", accept);
            Mutation.Tag(d, "header:Accept", "header: odd Accept", accept.Length > 60 ? $"{accept.Length:N0} characters" : accept, false);
        }, Mutation.Everywhere);
        yield return new("header: odd Content-Type", d => d.BodyType is not null, (d, r, _) =>
        {
            var (value, invalid) = Mutation.Pick(r, ContentTypes);
            d.ContentType = value;
            Mutation.Tag(d, "header:Content-Type", "header: odd Content-Type", value ?? "none", invalid);
        });
        yield return new("header: huge or many", _ => true, (d, r, _) =>
        {
            if (r.Next(2) == 0)
            {
                var length = r.Next(2) == 0 ? 8_000 : 64_000;
                d.Header("X-Padding", new string('p', length));
                Mutation.Tag(d, "header:#padding", "header: huge or many", $"a header of {length:N0} characters", false);
            }
            else
            {
                for (var i = 0; i < 200; i++)
                {
                    d.Headers.Add(($"X-H{i}", "v"));
                }

                Mutation.Tag(d, "header:#many", "header: huge or many", "200 headers", false);
            }
        }, Mutation.Everywhere);
        yield return new("header: odd characters", _ => true, (d, r, _) =>
        {
            string[] values = ["a\u0001b", "a\u0000b", "caf\u00e9", "a\r\nX-Injected: 1", "\u00ff\u00fe", "a\u007fb"];
            var value = Mutation.Pick(r, values);
            var header = Mutation.Pick(r, new[] { "X-Note", "User-Agent", "Accept-Language" });
            d.Header(header, value);
            Mutation.Tag(d, $"header:{header}", "header: odd characters", string.Concat(value.Select(ch => ch < ' ' || ch >= '\u007f' ? $"\\u{(int)ch:X4}" : $"{ch}")), false);
        }, Mutation.Everywhere);
    }

    private static IEnumerable<ApiParameter> IntegerQuery(Draft d) =>
        d.Operation.In("query").Where(p => p.Schema.ValueKind == System.Text.Json.JsonValueKind.Object && p.Schema.TryGetProperty("type", out var t) && t.GetString() is "integer");

    private static IEnumerable<string> UndocumentedMethods(Draft d) => new[] { "PUT", "PATCH" }.Except(d.Operation.PathMethods);

    private static void SetQuery(Draft d, string name, string value, string kind, bool invalid, string? detail = null)
    {
        // In the place of the parameter's first occurrence, and as its only one.
        var index = d.Query.FindIndex(q => q.Name == name);
        d.Query.RemoveAll(q => q.Name == name);
        d.Query.Insert(index < 0 ? d.Query.Count : index, (name, value));

        Mutation.Tag(d, $"query:{name}", kind, $"{name}={detail ?? (value.Length > 60 ? value[..60] + "…" : value)}", invalid);
    }

    private static void RepeatQuery(Draft d, Random r, MutationContext c)
    {
        var parameter = Mutation.Pick(r, d.Operation.In("query").ToArray());
        var values = Enumerable.Range(0, r.Next(2, 4)).Select(_ => QueryText(c.Values.NearValid(parameter.Schema, r))).ToArray();
        d.Query.RemoveAll(q => q.Name == parameter.Name);
        d.Query.AddRange(values.Select(v => (parameter.Name, (string?)v)));
        Mutation.Tag(d, $"query:{parameter.Name}", "query: repeated parameter", string.Join('&', values.Select(v => $"{parameter.Name}={v}")), c.Document.TypeOf(parameter.Schema) != "array");
    }

    private static void SetPath(Draft d, Random r, string value, string kind)
    {
        var name = Mutation.Pick(r, d.PathValues.Keys.ToArray());
        d.PathValues[name] = value;
        Mutation.Tag(d, $"path:{name}", kind, value.Length > 60 ? $"{value.Length:N0} characters" : value, false);
    }

    /// <summary>A generated value as a percent-encoded query value: a JSON string's text, or a literal as written.</summary>
    public static string QueryText(JNode value) =>
        value is JLiteral { Text: ['"', ..] } literal
            ? Uri.EscapeDataString(System.Text.Json.JsonSerializer.Deserialize<string>(literal.Text) ?? "")
            : Uri.EscapeDataString(string.Create(CultureInfo.InvariantCulture, $"{value}"));
}
