using System.Text.Json;
using System.Text.RegularExpressions;
using RnnLm.Engine.Text;

namespace RnnLm.Engine.Rescoring;

/// <summary>The n-best file formats <see cref="NBestFile"/> reads.</summary>
public enum NBestFormat
{
    /// <summary>JSON Lines when the first non-blank line starts with <c>{</c>, else <see cref="Rnnlm"/>.</summary>
    Auto,

    /// <summary>
    /// Mikolov's rnnlm 0.4b <c>-nbest</c> input: each line <c>ID word word ...</c>, split on spaces and tabs; consecutive lines with
    /// the same ID are one utterance's hypotheses. No first-pass scores.
    /// </summary>
    Rnnlm,

    /// <summary>Kaldi's n-best text: each line <c>UTT-N word word ...</c>; the utterance is the key without its last <c>-N</c>.</summary>
    Kaldi,

    /// <summary>One utterance a line: the object POST /rescore takes in <c>utterances</c>.</summary>
    JsonLines,
}

/// <summary>An n-best file read: its utterances and the line each hypothesis came from.</summary>
/// <param name="Utterances">The utterances in file order.</param>
/// <param name="Lines">[utterance][hypothesis] the 1-based line number.</param>
public sealed record NBestInput(IReadOnlyList<Utterance> Utterances, IReadOnlyList<int[]> Lines)
{
    /// <summary>The line a problem of <see cref="Rescorer.Check"/> is on: its hypothesis' line, else its utterance's first, else 0 (the weights).</summary>
    public int LineOf(RescoringProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Utterance < 0 ? 0 : Lines[problem.Utterance][Math.Max(0, problem.Hypothesis)];
    }
}

/// <summary>An n-best file could not be read; the message names the file, the line and what is wrong with it.</summary>
public sealed class NBestFormatException(string path, long lineNumber, string reason)
    : FormatException(lineNumber > 0 ? $"{path}:{lineNumber}: {reason}" : $"{path}: {reason}")
{
    /// <summary>1-based number of the offending line; 0 when the file as a whole is at fault.</summary>
    public long LineNumber { get; } = lineNumber;

    /// <summary>What is wrong, without the place.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Reads n-best lists for <see cref="Rescorer"/>. Blank lines are skipped everywhere; words are used as given (rnnlm and Kaldi
/// formats, JSON <c>tokens</c>) or tokenized as POST /score tokenizes one sentence (JSON <c>text</c>). Every malformed line is an
/// <see cref="NBestFormatException"/> naming it.
/// </summary>
public static partial class NBestFile
{
    private static readonly char[] Separators = [' ', '\t', '\r'];

    /// <summary>Reads <paramref name="path"/> in <paramref name="format"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="NBestFormatException">A line is malformed, an utterance's lines are not consecutive, or the file holds no hypothesis.</exception>
    public static NBestInput Read(string path, NBestFormat format = NBestFormat.Auto)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"N-best file '{path}' does not exist.", path);
        }

        return Parse(File.ReadLines(path), Path.GetFileName(path), format);
    }

    /// <summary>Parses n-best lines; <paramref name="name"/> names the source in messages.</summary>
    /// <exception cref="NBestFormatException">As for <see cref="Read"/>.</exception>
    public static NBestInput Parse(IEnumerable<string> lines, string name, NBestFormat format = NBestFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(name);
        var numbered = lines.Select((text, i) => (Text: text, Number: i + 1)).Where(l => !string.IsNullOrWhiteSpace(l.Text)).ToList();
        if (numbered.Count == 0)
        {
            throw new NBestFormatException(name, 0, "holds no hypothesis.");
        }

        if (format == NBestFormat.Auto)
        {
            format = numbered[0].Text.TrimStart().StartsWith('{') ? NBestFormat.JsonLines : NBestFormat.Rnnlm;
        }

        return format == NBestFormat.JsonLines ? JsonLines(numbered, name) : Plain(numbered, name, format == NBestFormat.Kaldi);
    }

    private static NBestInput Plain(List<(string Text, int Number)> lines, string name, bool kaldi)
    {
        var utterances = new List<Utterance>();
        var numbers = new List<List<int>>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        List<Hypothesis>? current = null;
        string? currentId = null;
        foreach (var (text, number) in lines)
        {
            var fields = text.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
            var id = fields[0];
            if (kaldi)
            {
                id = KaldiKey().Match(fields[0]) is { Success: true } match ? match.Groups["utterance"].Value
                    : throw new NBestFormatException(name, number, $"'{Quote(fields[0])}' is not a Kaldi n-best key UTTERANCE-N (N a number from 1).");
            }

            if (fields.Length == 1)
            {
                throw new NBestFormatException(name, number, $"has the id '{Quote(fields[0])}' but no words; a line is 'ID word word ...'.");
            }

            if (id != currentId)
            {
                if (!firstLine.TryAdd(id, number))
                {
                    throw new NBestFormatException(name, number, $"utterance '{Quote(id)}' began at line {firstLine[id]:N0} and another came between: an utterance's hypotheses must be consecutive lines.");
                }

                (current, currentId) = ([], id);
                utterances.Add(new Utterance(id, current));
                numbers.Add([]);
            }

            current!.Add(new Hypothesis(fields[1..]));
            numbers[^1].Add(number);
        }

        return new NBestInput(utterances, [.. numbers.Select(n => n.ToArray())]);
    }

    private static NBestInput JsonLines(List<(string Text, int Number)> lines, string name)
    {
        var utterances = new List<Utterance>();
        var numbers = new List<int[]>();
        foreach (var (text, number) in lines)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var utterance = ReadUtterance(document.RootElement);
                utterances.Add(utterance);
                numbers.Add(Enumerable.Repeat(number, utterance.Hypotheses.Count).ToArray());
            }
            catch (JsonException e)
            {
                throw new NBestFormatException(name, number, e is JsonShapeException ? e.Message : $"is not one JSON object: {e.Message.ReplaceLineEndings(" ")}");
            }
        }

        return new NBestInput(utterances, numbers);
    }

    // The JSON object of one utterance, read strictly: the members POST /rescore takes, each once, of the right kind.
    private static Utterance ReadUtterance(JsonElement root)
    {
        var members = Members(root, "the line", "id", "hypotheses");
        var id = members.TryGetValue("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
            ? idElement.GetString()!
            : throw new JsonShapeException("id: must be a string (the utterance's id).");
        if (!members.TryGetValue("hypotheses", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new JsonShapeException("hypotheses: must be an array of hypotheses.");
        }

        var hypotheses = new List<Hypothesis>();
        foreach (var item in list.EnumerateArray())
        {
            var at = $"hypotheses[{hypotheses.Count}]";
            var fields = Members(item, at, "text", "tokens", "scores");
            var words = (fields.TryGetValue("text", out var text), fields.TryGetValue("tokens", out var tokens)) switch
            {
                (true, false) when text.ValueKind == JsonValueKind.String => BrownTokenizer.Tokenize(text.GetString()!),
                (false, true) when tokens.ValueKind == JsonValueKind.Array && tokens.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) =>
                    tokens.EnumerateArray().Select(t => t.GetString()!).ToArray(),
                (true, true) or (false, false) => throw new JsonShapeException($"{at}: give exactly one of text (a string) or tokens (an array of strings)."),
                (true, _) => throw new JsonShapeException($"{at}.text: must be a string."),
                _ => throw new JsonShapeException($"{at}.tokens: must be an array of strings."),
            };
            var scores = new Dictionary<string, double>(StringComparer.Ordinal);
            if (fields.TryGetValue("scores", out var given))
            {
                foreach (var (scoreName, value) in Members(given, $"{at}.scores"))
                {
                    scores[scoreName] = value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
                        ? number
                        : throw new JsonShapeException($"{at}.scores.{scoreName}: must be a number.");
                }
            }

            hypotheses.Add(new Hypothesis(words, scores));
        }

        return new Utterance(id, hypotheses);
    }

    // An object's members by name, each name once, and (when names are given) only those names.
    private static Dictionary<string, JsonElement> Members(JsonElement element, string at, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonShapeException($"{at}: must be a JSON object.");
        }

        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            if (allowed.Length > 0 && !allowed.Contains(member.Name))
            {
                throw new JsonShapeException($"{at} has the unknown member '{Quote(member.Name)}'; it takes {string.Join(", ", allowed)}.");
            }

            if (!members.TryAdd(member.Name, member.Value))
            {
                throw new JsonShapeException($"{at} has the member '{Quote(member.Name)}' twice.");
            }
        }

        return members;
    }

    private static string Quote(string value) => value.Length > 40 ? value[..40] + "…" : value;

    [GeneratedRegex(@"^(?<utterance>.+)-[1-9][0-9]*$")]
    private static partial Regex KaldiKey();

    private sealed class JsonShapeException(string message) : JsonException(message);
}
