using System.Globalization;
using System.Text;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>A replayed case: the request, its answer (null when it could not be sent), the violation if any.</summary>
internal sealed record Replay(HttpCase Request, Observed? Answer, Violation? Violation);

/// <summary>
/// The failures of one run, grouped so that each distinct defect appears once: by operation, status, kind of violation
/// and the kinds of mutation left after shrinking (dropping each mutation that the failure does not need), with the
/// smallest reproduction seen.
/// </summary>
internal sealed class FailureLog(Func<CasePlan, Task<Replay>> replay)
{
    private const int MaxShrinkReplays = 600;
    private readonly Dictionary<string, string> _shrunk = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private int _replays;

    public int Count => _groups.Count;

    public int Cases => _groups.Values.Sum(g => g.Count);

    public async Task AddAsync(int index, CasePlan plan, HttpCase request, Observed answer, Violation violation)
    {
        var signature = Signature(request, answer, violation);
        if (!_shrunk.TryGetValue(signature, out var key))
        {
            (plan, request, answer, violation) = await ShrinkAsync(plan, request, answer, violation);
            key = Signature(request, answer, violation);
            _shrunk[signature] = key;
        }

        if (!_groups.TryGetValue(key, out var group))
        {
            _groups[key] = group = new Group(key, index, request, answer, violation);
        }
        else if (group.Request is { } shown && Size(request) < Size(shown) && request.MutationKinds.SequenceEqual(shown.MutationKinds))
        {
            (group.Request, group.Answer, group.Violation) = (request, answer, violation);
        }

        group.Count++;
    }

    /// <summary>A failure of the check that the service still answers correctly.</summary>
    public void AddServiceFailure(int afterCase, string what, string detail)
    {
        var key = $"service check: {what}";
        if (!_groups.TryGetValue(key, out var group))
        {
            _groups[key] = group = new Group(key, afterCase, null, null, new Violation(what, detail));
        }

        group.Count++;
    }

    public string Report(int seed, int cases)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Bad-input property: {_groups.Count} distinct failures in {Cases:N0} of {cases:N0} cases. ")
            .Append(CultureInfo.InvariantCulture, $"Seed {seed}: RNNLM_PROPERTY_SEED={seed} reruns this run (RNNLM_PROPERTY_CASES sets the number of cases).\n");
        foreach (var kind in _groups.Values.GroupBy(g => g.Violation.Kind).OrderByDescending(k => k.Sum(g => g.Count)))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {kind.Key}: {kind.Sum(g => g.Count):N0} case(s) in {kind.Count()} group(s)\n");
        }

        var number = 0;
        foreach (var group in _groups.Values.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{++number}. {group.Key}: {group.Count:N0} case(s), first at #{group.FirstCase}\n");
            text.Append("   ").Append(ResponseProperty.Excerpt(group.Violation.Detail, 400)).Append('\n');
            if (group.Request is { } request)
            {
                text.Append(Reproduction(request, group.Answer));
            }
        }

        return text.ToString();
    }

    private static int Size(HttpCase request) => (request.Body?.Length ?? 0) + request.Target.Length;

    private static string Signature(HttpCase request, Observed answer, Violation violation) =>
        $"{request.Operation.Name} → {(answer.Status == 0 ? "no status" : answer.Status.ToString(CultureInfo.InvariantCulture))} {violation.Kind} [{string.Join(", ", request.MutationKinds)}]";

    // Drops one mutation at a time while the same violation with the same status remains; replays are capped per run.
    private async Task<(CasePlan, HttpCase, Observed, Violation)> ShrinkAsync(CasePlan plan, HttpCase request, Observed answer, Violation violation)
    {
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = plan.Mutations.Length - 1; i >= 0 && _replays < MaxShrinkReplays; i--)
            {
                var smaller = plan.Without(i);
                _replays++;
                var result = await replay(smaller);
                if (result is { Answer: { } a, Violation: { } v } && a.Status == answer.Status && v.Kind == violation.Kind)
                {
                    (plan, request, answer, violation, changed) = (smaller, result.Request, a, v, true);
                    break;
                }
            }
        }

        return (plan, request, answer, violation);
    }

    private static string Reproduction(HttpCase request, Observed? answer)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"   {request.Method} {ResponseProperty.Excerpt(request.Target, 400)}\n");
        foreach (var (name, value) in request.Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $"   {name}: {ResponseProperty.Excerpt(value, 100)}\n");
        }

        if (request.Body is { } body)
        {
            text.Append(CultureInfo.InvariantCulture, $"   Content-Type: {request.ContentType ?? "(none)"}\n");
            text.Append(CultureInfo.InvariantCulture, $"   body ({body.Length:N0} bytes): {Bytes(body)}\n");
        }

        if (request.Mutations.Count > 0)
        {
            text.Append("   mutations: ").AppendJoin("; ", request.Mutations.Select(m => ResponseProperty.Excerpt(m, 120))).Append('\n');
        }

        if (answer is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"   answer: {answer.Status} {answer.MediaType ?? "(no Content-Type)"} {ResponseProperty.Excerpt(answer.Body, 400)}\n");
        }

        return text.ToString();
    }

    // The body as text where it is UTF-8, each other byte as \xNN, cut to a few hundred characters.
    private static string Bytes(byte[] body)
    {
        var shown = new StringBuilder();
        var decoder = Encoding.UTF8;
        for (var i = 0; i < body.Length && shown.Length < 400; i++)
        {
            var b = body[i];
            if (b is >= 0x20 and < 0x7F)
            {
                shown.Append((char)b);
            }
            else if (b >= 0x80 && Utf8Length(b) is > 1 and var length && i + length <= body.Length && TryDecode(body.AsSpan(i, length), out var c))
            {
                shown.Append(c);
                i += length - 1;
            }
            else
            {
                shown.Append(b switch { (byte)'\n' => "\\n", (byte)'\r' => "\\r", _ => $"\\x{b:X2}" });
            }
        }

        return body.Length > 0 && shown.Length >= 400 ? $"{shown}…" : shown.ToString();

        static int Utf8Length(byte lead) => lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;

        bool TryDecode(ReadOnlySpan<byte> bytes, out string c)
        {
            c = decoder.GetString(bytes);
            return !c.Any(ch => ch == '\uFFFD' || char.GetUnicodeCategory(ch) is UnicodeCategory.Format or UnicodeCategory.Control);
        }
    }

    private sealed class Group(string key, int firstCase, HttpCase? request, Observed? answer, Violation violation)
    {
        public string Key { get; } = key;

        public int FirstCase { get; } = firstCase;

        public int Count { get; set; }

        public HttpCase? Request { get; set; } = request;

        public Observed? Answer { get; set; } = answer;

        public Violation Violation { get; set; } = violation;
    }
}
