using System.Text;
using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>Mutations of the body: values in the JSON (or a multipart body's settings), its bytes, and the multipart framing.</summary>
internal static class BodyMutations
{
    private static readonly string[] UnknownKeys = ["bogus", "", "text\u0000", "__proto__", "$type", "$ref", "$id", "constructor"];

    public static IEnumerable<Mutation> All()
    {
        yield return Value("json: wrong type", (c, s) => c.Document.TypeOf(s).Length > 0, (c, s, r) => c.Values.WrongType(s, r));
        yield return Value("json: null", (_, _) => true, (c, s, _) => c.Values.Null(s));
        yield return Value("json: extreme number", (c, s) => c.Document.TypeOf(s) is "integer" or "number", (c, s, r) => c.Values.ExtremeNumber(s, r));
        yield return Value("json: escaped control characters", (c, s) => c.Document.TypeOf(s) == "string", (c, _, r) => c.Values.EscapedControl(r));
        yield return Value("json: raw control character", (c, s) => c.Document.TypeOf(s) == "string", (c, _, r) => c.Values.RawControl(r));
        yield return Value("json: invalid UTF-8", (c, s) => c.Document.TypeOf(s) == "string", (c, _, r) => c.Values.InvalidUtf8Text(r));
        yield return Value("json: deep nesting", (_, _) => true, (c, s, r) => c.Values.DeepNesting(s, r));
        yield return Value("json: huge string", (c, s) => c.Document.TypeOf(s) == "string", (c, _, r) => ValueGenerator.HugeString(c.SizeNearALimit(r), r));
        yield return Value("json: huge array", (c, s) => c.Document.TypeOf(s) == "array", (c, s, r) => c.Values.HugeArray(s, c.SizeNearALimit(r), r));
        yield return new("json: unknown field", d => d.HasJson, UnknownField);
        yield return new("json: repeated key", d => d.HasJson && d.Json is JObject { Members.Count: > 0 }, RepeatedKey);
        yield return new("json: missing field", d => d.HasJson && d.Json is JObject { Members.Count: > 0 }, (d, r, _) =>
        {
            var root = (JObject)d.Json!;
            var index = r.Next(root.Members.Count);
            Mutation.Tag(d, $"{d.JsonRoot}.{root.Members[index].Key}", "json: missing field", root.Members[index].Key, false);
            root.Members.RemoveAt(index);
        });
        yield return new("json: key in another case", d => d.HasJson && d.Json is JObject { Members.Count: > 0 }, (d, r, _) =>
        {
            var root = (JObject)d.Json!;
            var index = r.Next(root.Members.Count);
            var (key, value) = root.Members[index];
            root.Members[index] = (key.ToUpperInvariant(), value);
            Mutation.Tag(d, $"{d.JsonRoot}.{key}", "json: key in another case", key.ToUpperInvariant(), false);
        });
        yield return new("json: not an object", d => d.HasJson, (d, r, c) =>
        {
            string[] values = ["[]", "\"text\"", "5", "null", "true", "[{}]"];
            var value = Mutation.Pick(r, values);
            d.Json = new JLiteral(value);
            Mutation.Tag(d, d.JsonRoot, "json: not an object", value, c.Document.TypeOf(d.JsonSchema) == "object" && !(value == "null" && c.Document.IsNullable(d.JsonSchema)));
        });
        foreach (var mutation in ByteMutations())
        {
            yield return mutation;
        }

        foreach (var mutation in MultipartMutations.All())
        {
            yield return mutation;
        }
    }

    /// <summary>A mutation that puts a generated value where the schema <paramref name="wants"/> one (adding the field if it is not there).</summary>
    private static Mutation Value(string kind, Func<MutationContext, JsonElement, bool> wants, Func<MutationContext, JsonElement, Random, BadValue> make) =>
        new(kind, d => d.HasJson, (d, r, c) =>
        {
            var slots = c.Values.Slots(d.Json!, d.JsonSchema, d.JsonRoot, v => d.Json = v, s => wants(c, s));
            if (slots.Count == 0)
            {
                return;
            }

            var slot = Mutation.Pick(r, slots);
            var value = make(c, slot.Schema, r);
            slot.Set(value.Value);
            Mutation.Tag(d, slot.Path, kind, $"{slot.Path}: {value.Description}", value.Invalid);
        });

    private static void UnknownField(Draft d, Random r, MutationContext c)
    {
        var objects = c.Values.Slots(d.Json!, d.JsonSchema, d.JsonRoot, v => d.Json = v, _ => true).Where(s => s.Get() is JObject).ToList();
        if (objects.Count == 0)
        {
            return;
        }

        var slot = Mutation.Pick(r, objects);
        var key = Mutation.Pick(r, UnknownKeys);
        ((JObject)slot.Get()!).Members.Insert(0, (key, new JLiteral("1")));
        var declared = c.Document.PropertiesOf(slot.Schema).Any(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
        Mutation.Tag(d, $"{slot.Path}.{key}", "json: unknown field", $"{slot.Path}: \"{key.Replace("\u0000", "\\u0000", StringComparison.Ordinal)}\"", c.Document.IsClosed(slot.Schema) && !declared);
    }

    private static void RepeatedKey(Draft d, Random r, MutationContext c)
    {
        var root = (JObject)d.Json!;
        var (key, value) = Mutation.Pick(r, root.Members);
        var again = r.Next(2) == 0 ? value : c.Values.NearValid(c.Document.PropertyOf(d.JsonSchema, key) ?? default, r);
        root.Members.Add((key, again));
        Mutation.Tag(d, $"{d.JsonRoot}.{key}", "json: repeated key", key, true);
    }

    // A whole new body: edits of the old one's bytes go with it.
    private static void Replace(Draft d, byte[] body)
    {
        d.RawBody = body;
        d.ByteEdits.Clear();
    }

    private static IEnumerable<Mutation> ByteMutations()
    {
        static bool HasBody(Draft d) => d.BodyType is not null;
        static bool IsJson(Draft d) => d.BodyType == "application/json";
        yield return new("body: truncated", HasBody, (d, r, _) =>
        {
            var keep = r.NextDouble();
            var tail = d.HasMultipartBody ? d.Boundary.Length + 6 : 1;
            d.ByteEdits.Add(body => body[..(int)(keep * Math.Max(0, body.Length - tail))]);
            Mutation.Tag(d, "body#truncated", "body: truncated", $"{keep:P0} kept", true);
        });
        yield return new("body: trailing garbage", IsJson, (d, r, _) =>
        {
            string[] tails = ["x", "}", "{}", "\u0000", "]", ",", " {\"text\": \"b\"}"];
            var tail = Mutation.Pick(r, tails);
            d.ByteEdits.Add(body => [.. body, .. Encoding.UTF8.GetBytes(tail)]);
            Mutation.Tag(d, "body#tail", "body: trailing garbage", tail.Replace("\u0000", "\\u0000", StringComparison.Ordinal), true);
        });
        yield return new("body: byte order mark", HasBody, (d, _, _) =>
        {
            d.ByteEdits.Add(body => [0xEF, 0xBB, 0xBF, .. body]);
            Mutation.Tag(d, "body#bom", "body: byte order mark", "EF BB BF", false);
        });
        yield return new("body: comment", IsJson, (d, _, _) =>
        {
            d.ByteEdits.Add(body => [.. "/* c */"u8, .. body]);
            Mutation.Tag(d, "body#comment", "body: comment", "/* c */ first", true);
        });
        yield return new("body: empty", HasBody, (d, _, _) =>
        {
            Replace(d, []);
            Mutation.Tag(d, "body", "body: empty", "0 bytes", true);
        });
        yield return new("body: random bytes", HasBody, (d, r, _) =>
        {
            var bytes = new byte[r.Next(1, 64)];
            r.NextBytes(bytes);
            bytes[0] = 0xFF;
            Replace(d, bytes);
            Mutation.Tag(d, "body", "body: random bytes", $"{bytes.Length} bytes", true);
        });
        yield return new("body: white space padding", IsJson, (d, r, c) =>
        {
            var size = c.SizeNearALimit(r);
            d.ByteEdits.Add(body => [.. Enumerable.Repeat((byte)' ', size), .. body]);
            Mutation.Tag(d, "body#padding", "body: white space padding", $"{size:N0} spaces first", false);
        });
        yield return new("body: UTF-16", d => d.HasJsonBody, (d, _, _) =>
        {
            Replace(d, Encoding.Unicode.GetBytes(d.Json!.ToString()));
            Mutation.Tag(d, "body", "body: UTF-16", "the JSON in UTF-16", true);
        });
        yield return new("body: on an operation without one", d => d.BodyType is null, (d, _, _) =>
        {
            d.BodyType = "application/json";
            d.ContentType = "application/json";
            d.Json = new JObject([("text", JNode.String("It said."))]);
            Mutation.Tag(d, "body", "body: on an operation without one", "{\"text\":\"It said.\"}", false);
        }, Mutation.Everywhere);
    }
}
