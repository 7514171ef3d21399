using System.Text.Json;
using System.Text.Json.Nodes;

namespace RnnLm.Api.Tests;

/// <summary>
/// The shape of JSON: each value's path (<c>result.promotion.reason</c>, <c>models[].id</c>) and kind (object, array, string,
/// number, boolean, null), read from a real answer or from the abridged JSON the docs show ("..." for what it leaves out).
/// </summary>
internal static class JsonShape
{
    public static IEnumerable<(string Path, string Kind)> Of(JsonNode? node, string path = "")
    {
        yield return (path, Kind(node));
        IEnumerable<(string Path, JsonNode? Node)> children = node switch
        {
            JsonObject obj => obj.Select(p => (Join(path, p.Key), p.Value)),
            JsonArray array => array.Select(item => (path + "[]", item)),
            _ => [],
        };
        foreach (var (childPath, child) in children)
        {
            foreach (var shape in Of(child, childPath))
            {
                yield return shape;
            }
        }
    }

    /// <summary>The shape of every JSON object written in <paramref name="text"/>, read leniently; text outside the objects is skipped.</summary>
    public static IEnumerable<(string Path, string Kind)> OfAbridged(string text)
    {
        var tokens = new Queue<string>(Tokens(text));
        var shapes = new List<(string, string)>();
        while (tokens.Count > 0)
        {
            if (tokens.Dequeue() == "{")
            {
                ReadObject(tokens, "", shapes);
            }
        }

        return shapes;
    }

    private static void ReadValue(string first, Queue<string> tokens, string path, List<(string, string)> shapes)
    {
        switch (first)
        {
            case "{":
                ReadObject(tokens, path, shapes);
                break;
            case "[":
                shapes.Add((path, "array"));
                while (tokens.TryDequeue(out var token) && token != "]")
                {
                    if (token is not ("," or "..."))
                    {
                        ReadValue(token, tokens, path + "[]", shapes);
                    }
                }

                break;
            case "...":
                break; // the value left out
            default:
                shapes.Add((path, first[0] == '"' ? "string" : first is "true" or "false" ? "boolean" : first == "null" ? "null" : "number"));
                break;
        }
    }

    private static void ReadObject(Queue<string> tokens, string path, List<(string, string)> shapes)
    {
        shapes.Add((path, "object"));
        while (tokens.TryDequeue(out var token) && token != "}")
        {
            if (token[0] == '"' && tokens.TryPeek(out var colon) && colon == ":")
            {
                tokens.Dequeue();
                if (tokens.TryDequeue(out var value))
                {
                    ReadValue(value, tokens, Join(path, JsonSerializer.Deserialize<string>(token)!), shapes);
                }
            }
        }
    }

    // Punctuation, strings (with their quotes), "..." and bare words (numbers, true, false, null, or prose).
    private static IEnumerable<string> Tokens(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '{' or '}' or '[' or ']' or ':' or ',' or '…')
            {
                yield return c == '…' ? "..." : c.ToString();
                i++;
            }
            else if (c == '"')
            {
                var end = i + 1;
                while (end < text.Length && text[end] != '"')
                {
                    end += text[end] == '\\' ? 2 : 1;
                }

                yield return text[i..Math.Min(end + 1, text.Length)];
                i = end + 1;
            }
            else
            {
                var end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('{' or '}' or '[' or ']' or ':' or ',' or '"'))
                {
                    end++;
                }

                var word = text[i..end];
                yield return word.Trim('.').Length == 0 ? "..." : word;
                i = end;
            }
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
