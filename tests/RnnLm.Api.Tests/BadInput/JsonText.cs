using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>
/// A JSON document built as text rather than through a serializer, so that it can hold what a serializer never writes:
/// repeated keys, bare NaN, raw control characters, numbers of any size, invalid UTF-8 (see <see cref="InvalidUtf8"/>).
/// </summary>
internal abstract class JNode
{
    public abstract void Write(StringBuilder text);

    public override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    /// <summary>A copy of an element of a real document (the OpenAPI examples).</summary>
    public static JNode From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new JObject(element.EnumerateObject().Select(p => (p.Name, From(p.Value)))),
        JsonValueKind.Array => new JArray(element.EnumerateArray().Select(From)),
        _ => new JLiteral(element.GetRawText()),
    };

    public static JLiteral String(string value) => new(JsonSerializer.Serialize(value, Strings));

    /// <summary>Whether text is one well-formed JSON document.</summary>
    public static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static readonly JsonSerializerOptions Strings = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>A value written exactly as given: <c>5</c>, <c>"a"</c>, <c>1e400</c>, <c>NaN</c>, or any text at all.</summary>
internal sealed class JLiteral(string text) : JNode
{
    public string Text { get; } = text;

    public override void Write(StringBuilder text) => text.Append(Text);
}

internal sealed class JArray(IEnumerable<JNode> items) : JNode
{
    public List<JNode> Items { get; } = [.. items];

    public override void Write(StringBuilder text)
    {
        text.Append('[');
        for (var i = 0; i < Items.Count; i++)
        {
            text.Append(i == 0 ? "" : ",");
            Items[i].Write(text);
        }

        text.Append(']');
    }
}

/// <summary>An object whose members keep their order and may repeat a key.</summary>
internal sealed class JObject(IEnumerable<(string Key, JNode Value)> members) : JNode
{
    public List<(string Key, JNode Value)> Members { get; } = [.. members];

    public override void Write(StringBuilder text)
    {
        text.Append('{');
        for (var i = 0; i < Members.Count; i++)
        {
            text.Append(i == 0 ? "" : ",");
            JNode.String(Members[i].Key).Write(text);
            text.Append(':');
            Members[i].Value.Write(text);
        }

        text.Append('}');
    }
}

/// <summary>
/// Invalid UTF-8 in text that is otherwise a .NET string: each private-use character U+E000 + i stands for the i-th byte
/// sequence below and is replaced by it when the text is encoded. The generator puts these characters nowhere else.
/// </summary>
internal static class InvalidUtf8
{
    private static readonly byte[][] Sequences =
    [
        [0xFF],                         // never valid
        [0xC0, 0x80],                   // overlong NUL
        [0xED, 0xA0, 0x80],             // a UTF-16 surrogate encoded as UTF-8
        [0x80],                         // a continuation byte alone
        [0xE2, 0x82],                   // a sequence cut short
        [0xF4, 0x90, 0x80, 0x80],       // beyond U+10FFFF
        [0xFE, 0xFF],                   // a UTF-16 byte-order mark
    ];

    public static int Count => Sequences.Length;

    public static char Marker(int index) => (char)(0xE000 + index);

    /// <summary>The same sequence percent-encoded, for URLs.</summary>
    public static string PercentEncoded(int index) => string.Concat(Sequences[index].Select(b => $"%{b:X2}"));

    public static byte[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (!text.Any(c => c is >= '\uE000' and < '\uE010'))
        {
            return bytes;
        }

        var output = new List<byte>(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            // U+E000..U+E00F encode as EE 80 80..EE 80 8F.
            if (bytes[i] == 0xEE && i + 2 < bytes.Length && bytes[i + 1] == 0x80 && bytes[i + 2] - 0x80 < Sequences.Length)
            {
                output.AddRange(Sequences[bytes[i + 2] - 0x80]);
                i += 2;
            }
            else
            {
                output.Add(bytes[i]);
            }
        }

        return [.. output];
    }
}
