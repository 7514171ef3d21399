using System.Globalization;
using RnnLm.Engine.Model;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Collects field errors for a <c>ValidationProblem</c> response: keys are JSON paths as the client wrote them
/// (<c>tokens[0][2]</c>); at most <see cref="MaxFields"/> fields are reported, so a hostile request cannot make a huge answer.
/// </summary>
public sealed class ValidationErrors
{
    public const int MaxFields = 20;
    private const int MaxMessagesPerField = 5;
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public bool IsFull => _errors.Count >= MaxFields;

    public void Add(string field, string message)
    {
        if (IsFull && !_errors.ContainsKey(field))
        {
            return;
        }

        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = [message];
        }
        else if (messages.Length < MaxMessagesPerField)
        {
            _errors[field] = [.. messages, message];
        }
    }

    public IDictionary<string, string[]> ToDictionary() => _errors;

    /// <summary>Checks free text: not blank, no control characters, no broken UTF-16.</summary>
    public bool CheckText(string field, string? text)
    {
        if (text is null)
        {
            Add(field, "Must not be null.");
            return false;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            Add(field, "Must contain at least one word.");
            return false;
        }

        return CheckCharacters(field, text, allowWhiteSpace: true);
    }

    /// <summary>Checks one token: not blank, no white space or control characters, not reserved, not too long.</summary>
    public bool CheckToken(string field, string? token)
    {
        if (token is null)
        {
            Add(field, "Must not be null.");
            return false;
        }

        if (token.Length == 0)
        {
            Add(field, "Must not be empty.");
            return false;
        }

        if (token.Length > Vocabulary.MaxWordLength)
        {
            Add(field, $"Is {token.Length:N0} characters long; a token has at most {Vocabulary.MaxWordLength:N0}.");
            return false;
        }

        if (token is Vocabulary.StartOfSentenceToken or Vocabulary.EndOfSentenceToken)
        {
            Add(field, $"'{token}' is reserved: sentence boundaries are added by the model.");
            return false;
        }

        return CheckCharacters(field, token, allowWhiteSpace: false);
    }

    /// <summary>Checks the tokens of one sentence: how many, and each one.</summary>
    public bool CheckSentence(string field, IReadOnlyList<string> tokens, int maxTokens, bool allowEmpty = false)
    {
        if (tokens.Count == 0 && !allowEmpty)
        {
            Add(field, "Must contain at least one token.");
            return false;
        }

        if (tokens.Count > maxTokens)
        {
            Add(field, $"Has {tokens.Count:N0} tokens; at most {maxTokens:N0} are allowed per sentence.");
            return false;
        }

        var valid = true;
        for (var i = 0; i < tokens.Count && !IsFull; i++)
        {
            valid &= CheckToken($"{field}[{i}]", tokens[i]);
        }

        return valid;
    }

    private bool CheckCharacters(string field, string text, bool allowWhiteSpace)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            var problem = char.IsSurrogate(c) ? "an unpaired surrogate"
                : char.IsWhiteSpace(c) ? (allowWhiteSpace ? null : "white space")
                : char.IsControl(c) || c is '\uFFFE' or '\uFFFF' ? "a control character"
                : null;
            if (problem is not null)
            {
                Add(field, string.Create(CultureInfo.InvariantCulture, $"Contains {problem} (U+{(int)c:X4}) at position {i}."));
                return false;
            }
        }

        return true;
    }

    /// <summary>A value cut short for an error message, with control characters escaped (<see cref="SafeText"/>).</summary>
    public static string Quote(string value, int max = 40) =>
        value.Length > max ? $"'{SafeText.Escape(value[..max])}…'" : $"'{SafeText.Escape(value)}'";

    /// <summary>Names in a sentence: "a", "a and b", "a, b and c" (or with another conjunction).</summary>
    /// <summary>The allowed values of a field, as JSON writes them: one of "never", "ifBetter" or "always".</summary>
    public static string OneOf(IEnumerable<string> jsonValues) => $"one of {Listed(jsonValues, "or")}";

    public static string Listed(IEnumerable<string> items, string conjunction = "and")
    {
        var all = items.ToArray();
        return all.Length <= 1 ? string.Concat(all) : $"{string.Join(", ", all[..^1])} {conjunction} {all[^1]}";
    }
}
