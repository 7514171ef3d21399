using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Says what was wrong with a JSON body in the client's terms: the field by its JSON path, and what it must be, read
/// from the request type's JSON contract (so an enum lists its values as they are written) rather than from .NET type names.
/// </summary>
internal static partial class JsonErrors
{
    /// <summary>The field (<c>tokens[0][1]</c>, or <c>body</c>) and a message for a body of type <paramref name="root"/> that could not be read.</summary>
    public static (string Field, string Message) Describe(JsonException exception, Type? root, JsonSerializerOptions options)
    {
        var field = FieldOf(exception.Path);
        var message = exception.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        if (UnmappedMember().Match(message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups["name"].Value;
            var parent = exception.Path is { } path && path.EndsWith(name, StringComparison.Ordinal) ? ParentOf(path) : exception.Path;
            var known = root is null ? null : TypeAt(root, parent, options) is { } type ? Fields(type, options) : null;
            var where = field == "body" || field.EndsWith(name, StringComparison.Ordinal) ? field : $"{field}.{name}";
            return (where == "body" ? name : where, known is null ? "Is not a known field." : $"Is not a known field; the fields are {ValidationErrors.Listed(known)}.");
        }

        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return (field, "Is given more than once; send each field once.");
        }

        if (message.Contains("doesn't allow setting null", StringComparison.Ordinal))
        {
            return (field, "Must not be null.");
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return (field, "The JSON is nested too deeply.");
        }

        if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            return (field, root is not null && TypeAt(root, exception.Path, options) is { } expected
                ? $"Must be {Friendly(expected, options)}."
                : "Has a value of the wrong type.");
        }

        if (exception.InnerException is InvalidOperationException or FormatException or OverflowException)
        {
            return (field, "Has a value of the wrong type or out of range.");
        }

        var position = exception.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {exception.BytePositionInLine + 1})") : "";
        return (field, $"Malformed JSON: {message.TrimEnd('.')}{position}.");
    }

    /// <summary>What a value of <paramref name="type"/> must be, in words: "a number", "one of "never", "ifBetter" or "always"".</summary>
    public static string Friendly(Type type, JsonSerializerOptions options)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return ValidationErrors.OneOf(JsonSetup.ValuesOf(type, options));
        }

        if (type == typeof(string))
        {
            return "a string";
        }

        if (type == typeof(int))
        {
            return "a whole number between -2147483648 and 2147483647";
        }

        if (type == typeof(long))
        {
            return "a whole number";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "a number";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        return options.GetTypeInfo(type) is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } element }
            ? Friendly(element, options) switch
            {
                "a string" => "an array of strings",
                "an array of strings" => "an array of arrays of strings",
                _ => "an array",
            }
            : "a JSON object";
    }

    // The .NET type a JSON path ("$.tokens[0][1]", "$['odd key']") leads to from the body's type; null when it leads nowhere.
    private static Type? TypeAt(Type root, string? path, JsonSerializerOptions options)
    {
        Type? type = root;
        foreach (Match segment in PathSegment().Matches(path ?? "$"))
        {
            var info = options.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);
            if (segment.Groups["index"].Success)
            {
                type = info.ElementType;
            }
            else
            {
                var name = segment.Groups["name"].Success ? segment.Groups["name"].Value : segment.Groups["quoted"].Value;
                var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                type = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, comparison))?.PropertyType;
            }

            if (type is null)
            {
                return null;
            }
        }

        return type;
    }

    private static string[]? Fields(Type type, JsonSerializerOptions options) =>
        options.GetTypeInfo(type) is { Kind: JsonTypeInfoKind.Object } info ? [.. info.Properties.Select(p => p.Name)] : null;

    private static string? ParentOf(string path)
    {
        var last = PathSegment().Matches(path).LastOrDefault();
        return last is null ? path : path[..last.Index];
    }

    // "$.tokens[0][1]" → "tokens[0][1]", "$['odd key']" → "odd key", "$" → "body".
    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length > 200 ? field[..200] + "…" : field;
    }

    [GeneratedRegex("""\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^']|\\')*)'\]|\[(?<index>\d+)\]""")]
    private static partial Regex PathSegment();

    [GeneratedRegex("""The JSON property '(?<name>.*)' could not be mapped""", RegexOptions.Singleline)]
    private static partial Regex UnmappedMember();
}
