using System.Globalization;
using System.Text;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Text from a request, made safe to show on one line of a log or a message: every character that can end, overwrite or
/// reorder a line is written as <c>\uXXXX</c>.
/// </summary>
public static class SafeText
{
    /// <summary>
    /// Control characters (CR, LF, NEL, ESC, ...), the Unicode line and paragraph separators, the bidirectional overrides
    /// and isolates (which make a line read differently from what it holds), and surrogates that do not form a pair.
    /// </summary>
    public static int IndexOfUnsafe(string text, int start = 0, bool keepNewLines = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (IsUnsafe(c) && !(keepNewLines && c == '\n'))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The text with each unsafe character written as <c>\uXXXX</c>; the same string when there is none.</summary>
    /// <param name="keepNewLines">Keep line feeds: for text whose lines the runtime made, such as a stack trace.</param>
    public static string Escape(string text, bool keepNewLines = false)
    {
        var next = IndexOfUnsafe(text, 0, keepNewLines);
        if (next < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        var from = 0;
        while (next >= 0)
        {
            builder.Append(text, from, next - from).Append(CultureInfo.InvariantCulture, $"\\u{(int)text[next]:X4}");
            from = next + 1;
            next = IndexOfUnsafe(text, from, keepNewLines);
        }

        return builder.Append(text, from, text.Length - from).ToString();
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
