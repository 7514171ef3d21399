using System.Globalization;
using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>A place in a JSON document where a value sits or could be put, with the schema the document gives it.</summary>
internal sealed record Slot(string Path, JsonElement Schema, Func<JNode?> Get, Action<JNode> Set);

/// <summary>A generated value, and whether the document's schema rules it out (then a 2xx answer is wrong).</summary>
internal sealed record BadValue(JNode Value, string Description, bool Invalid);

/// <summary>Values from a schema: near-valid ones (the document's examples, words the test model knows) and broken ones.</summary>
internal sealed class ValueGenerator(ApiDocument document)
{
    /// <summary>Text made of words the tiny test model knows, and one it does not.</summary>
    public static readonly string[] Phrases =
    [
        "The jury said no evidence .", "It found a new law .", "The city reported many problems .", "Mr. Allen", "the praise of the city",
        "The committee recommended that the election was conducted well .", "The state did not find", "Zyxqv", "said",
    ];

    // Literal, valid as a 32-bit integer, valid as a double (both by the schema's formats: int32, double).
    private static readonly (string Text, bool Int32, bool Double)[] ExtremeNumbers =
    [
        ("1e308", false, true), ("-1e308", false, true), ("-0", true, true), ("0", true, true), ("9007199254740993", false, true),
        ("99999999999999999999999999999", false, true), ("1e400", false, false), ("-1e400", false, false), ("1e-400", false, true),
        ("2147483647", true, true), ("2147483648", false, true), ("-2147483648", true, true), ("-2147483649", false, true),
        ("0.1", false, true), ("4.9e-324", false, true), (new string('9', 400), false, false), ("\"NaN\"", false, false),
        ("\"Infinity\"", false, false), ("\"-Infinity\"", false, false), ("NaN", false, false), ("Infinity", false, false), ("-Infinity", false, false),
    ];

    // Escaped in the JSON text, so the document stays valid JSON: what a lenient reader lets into a string.
    private static readonly string[] EscapedControls =
        [@"\u0000", @"\u0007", @"\u001b[31m", @"\r\n[05:00:00 ERR] forged", @"\u2028", @"\u0085", @"\ufeff", @"\ud800", @"\udfff\ud800", @"\u007f", @"\t"];

    private static readonly char[] RawControls = ['\u0000', '\u0001', '\u001b', '\n', '\r', '\u007f'];

    public ApiDocument Document { get; } = document;

    /// <summary>A value the schema accepts: its example sometimes, otherwise one built from its type.</summary>
    public JNode NearValid(JsonElement schema, Random random, int depth = 0)
    {
        if (random.NextDouble() < 0.6 && Document.Example(schema) is { } example)
        {
            return JNode.From(example);
        }

        if (Document.EnumOf(schema) is { Count: > 0 } values)
        {
            return JNode.From(values[random.Next(values.Count)]);
        }

        var resolved = Document.Resolve(schema);
        var fallback = resolved.ValueKind == JsonValueKind.Object && resolved.TryGetProperty("default", out var d) ? d : (JsonElement?)null;
        return Document.TypeOf(schema) switch
        {
            "object" when depth < 4 => new JObject(Document.PropertiesOf(schema).Where(_ => random.NextDouble() < 0.5).Select(p => (p.Name, NearValid(p.Schema, random, depth + 1)))),
            "array" when depth < 4 => new JArray(Enumerable.Range(0, random.Next(1, 4)).Select(_ => NearValid(Document.ItemsOf(schema), random, depth + 1))),
            "string" => JNode.String(Phrases[random.Next(Phrases.Length)]),
            "integer" => new JLiteral(fallback?.GetRawText() ?? random.Next(0, 21).ToString(CultureInfo.InvariantCulture)),
            "number" => new JLiteral(fallback?.GetRawText() ?? Math.Round(random.NextDouble(), 3).ToString(CultureInfo.InvariantCulture)),
            "boolean" => new JLiteral(random.Next(2) == 0 ? "true" : "false"),
            _ => new JLiteral("1"),
        };
    }

    /// <summary>A value of another JSON type than the schema's.</summary>
    public BadValue WrongType(JsonElement schema, Random random)
    {
        var type = Document.TypeOf(schema);
        (string Type, string Text)[] others = [("string", "\"5\""), ("integer", "5"), ("number", "2.5"), ("boolean", "true"), ("object", "{}"), ("array", "[]"), ("array", "[\"5\"]")];
        var choices = others.Where(o => o.Type != type && !(type == "number" && o.Type == "integer")).ToArray();
        var (_, text) = choices[random.Next(choices.Length)];
        return new BadValue(new JLiteral(text), $"{text} for {(type.Length == 0 ? "an untyped value" : type)}", type.Length > 0);
    }

    public BadValue Null(JsonElement schema) => new(new JLiteral("null"), "null", !Document.IsNullable(schema));

    public BadValue ExtremeNumber(JsonElement schema, Random random)
    {
        var (text, int32, @double) = ExtremeNumbers[random.Next(ExtremeNumbers.Length)];
        var valid = Document.TypeOf(schema) switch
        {
            "integer" => int32,
            "number" => @double,
            "" => true,
            _ => false,
        };
        return new BadValue(new JLiteral(text), text.Length > 40 ? $"{text[..12]}… ({text.Length} digits)" : text, !valid || !JNode.IsJson(text));
    }

    /// <summary>A string with an escaped control character, surrogate or line separator: valid JSON, odd text.</summary>
    public BadValue EscapedControl(Random random)
    {
        var control = EscapedControls[random.Next(EscapedControls.Length)];
        return new BadValue(new JLiteral($"\"It{control}said\""), $"\"It{control}said\"", false);
    }

    /// <summary>A string holding a raw control character, which JSON forbids.</summary>
    public BadValue RawControl(Random random)
    {
        var control = RawControls[random.Next(RawControls.Length)];
        return new BadValue(new JLiteral($"\"It{control}said\""), $"raw U+{(int)control:X4} in a string", true);
    }

    public BadValue InvalidUtf8Text(Random random)
    {
        var index = random.Next(InvalidUtf8.Count);
        return new BadValue(new JLiteral($"\"It{InvalidUtf8.Marker(index)}said\""), $"bytes {InvalidUtf8.PercentEncoded(index)} in a string", true);
    }

    /// <summary>Arrays or objects nested far deeper than the schema allows.</summary>
    public BadValue DeepNesting(JsonElement schema, Random random)
    {
        int[] depths = [10, 63, 64, 65, 100, 1000, 10_000];
        var depth = depths[random.Next(depths.Length)];
        var text = random.Next(2) == 0
            ? new string('[', depth) + "\"It\"" + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        return new BadValue(new JLiteral(text), $"{depth} levels of {(text[0] == '[' ? "arrays" : "objects")}", depth > Document.Depth(schema));
    }

    /// <summary>A string of about <paramref name="length"/> characters: one long word, or many short ones.</summary>
    public static BadValue HugeString(int length, Random random)
    {
        var text = random.Next(2) == 0 ? new string('w', length) : string.Concat(Enumerable.Repeat("It said no evidence . ", length / 22 + 1))[..length];
        return new BadValue(JNode.String(text), $"a string of {length:N0} characters", false);
    }

    /// <summary>An array of near-valid items about <paramref name="bytes"/> long as JSON.</summary>
    public BadValue HugeArray(JsonElement schema, int bytes, Random random)
    {
        var item = NearValid(Document.ItemsOf(schema), random);
        var count = Math.Max(1, bytes / (item.ToString().Length + 1));
        return new BadValue(new JArray(Enumerable.Repeat(item, count)), $"an array of {count:N0} items", false);
    }

    /// <summary>
    /// The places in <paramref name="root"/> whose schema <paramref name="wants"/>: values already there, and declared
    /// properties not yet sent (choosing one of those adds the property).
    /// </summary>
    public List<Slot> Slots(JNode root, JsonElement schema, string rootName, Action<JNode> setRoot, Func<JsonElement, bool> wants)
    {
        var slots = new List<Slot>();
        Collect(new Slot(rootName, schema, () => root, setRoot), 0);
        return slots;

        void Collect(Slot slot, int depth)
        {
            if (wants(slot.Schema))
            {
                slots.Add(slot);
            }

            var node = slot.Get();
            if (depth > 5)
            {
                return;
            }

            if (node is JObject obj)
            {
                for (var i = 0; i < obj.Members.Count; i++)
                {
                    var index = i;
                    var key = obj.Members[i].Key;
                    var child = Document.PropertyOf(slot.Schema, key) ?? default;
                    Collect(new Slot($"{slot.Path}.{key}", child, () => obj.Members[index].Value, v => obj.Members[index] = (key, v)), depth + 1);
                }

                foreach (var (name, child) in Document.PropertiesOf(slot.Schema).Where(p => wants(p.Schema) && obj.Members.All(m => m.Key != p.Name)))
                {
                    slots.Add(new Slot($"{slot.Path}.{name}", child, () => null, v => obj.Members.Add((name, v))));
                }
            }
            else if (node is JArray array)
            {
                for (var i = 0; i < Math.Min(array.Items.Count, 4); i++)
                {
                    var index = i;
                    Collect(new Slot($"{slot.Path}[{i}]", Document.ItemsOf(slot.Schema), () => array.Items[index], v => array.Items[index] = v), depth + 1);
                }
            }
        }
    }
}
