using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Passes each event on with every character that could start a forged line escaped (<see cref="SafeText"/>): in property
/// values (paths, query values, names, header values: whatever a request put there), in message text that was
/// formatted before it reached Serilog, and in exception messages. Stack traces keep their line breaks, which the runtime made.
/// Every log format writes through it, so what reaches standard output is the same text in both.
/// </summary>
internal sealed class SafeLogEvents(ILogEventSink inner) : ILogEventSink, IDisposable
{
    public void Emit(LogEvent logEvent) => inner.Emit(Escape(logEvent));

    public void Dispose() => (inner as IDisposable)?.Dispose();

    /// <summary>The event itself when nothing in it needs escaping (the usual case), otherwise an escaped copy.</summary>
    internal static LogEvent Escape(LogEvent logEvent)
    {
        var template = Escape(logEvent.MessageTemplate);
        var exception = logEvent.Exception is { } e ? Escape(e) : null;
        // Built only once a property needs escaping: every request logs, and almost none does.
        Dictionary<string, LogEventPropertyValue>? properties = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (Escape(value) is var escaped && !ReferenceEquals(escaped, value))
            {
                properties ??= new Dictionary<string, LogEventPropertyValue>(logEvent.Properties);
                properties[name] = escaped;
            }
        }

        if (properties is null && ReferenceEquals(template, logEvent.MessageTemplate) && ReferenceEquals(exception, logEvent.Exception))
        {
            return logEvent;
        }

        return new LogEvent(logEvent.Timestamp, logEvent.Level, exception, template,
            (properties ?? logEvent.Properties).Select(p => new LogEventProperty(p.Key, p.Value)), logEvent.TraceId ?? default, logEvent.SpanId ?? default);
    }

    internal static LogEventPropertyValue Escape(LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: null or bool or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal
                or DateTime or DateTimeOffset or TimeSpan or Guid or Enum }:
                return value;
            case ScalarValue scalar:
                // Strings, chars, and objects that render through ToString (PathString, Uri, ...).
                var text = Convert.ToString(scalar.Value, CultureInfo.InvariantCulture) ?? "";
                return SafeText.IndexOfUnsafe(text) < 0 ? value : new ScalarValue(SafeText.Escape(text));
            case SequenceValue sequence:
                var elements = sequence.Elements.Select(Escape).ToArray();
                return elements.SequenceEqual(sequence.Elements) ? value : new SequenceValue(elements);
            case StructureValue structure:
                var members = structure.Properties.Select(p => new LogEventProperty(p.Name, Escape(p.Value))).ToArray();
                return members.Select(p => p.Value).SequenceEqual(structure.Properties.Select(p => p.Value)) ? value : new StructureValue(members, structure.TypeTag);
            case DictionaryValue dictionary:
                var entries = dictionary.Elements.Select(e => KeyValuePair.Create((ScalarValue)Escape(e.Key), Escape(e.Value))).ToArray();
                return entries.SequenceEqual(dictionary.Elements) ? value : new DictionaryValue(entries);
            default:
                return value;
        }
    }

    // Microsoft.Extensions.Logging messages without a template arrive already formatted, request text and all, as the template.
    private static MessageTemplate Escape(MessageTemplate template)
    {
        if (!template.Tokens.Any(t => t is TextToken text && SafeText.IndexOfUnsafe(text.Text) >= 0))
        {
            return template;
        }

        var tokens = template.Tokens.Select(t => t is TextToken text ? new TextToken(SafeText.Escape(text.Text)) : t);
        return new MessageTemplate(SafeText.Escape(template.Text), tokens);
    }

    // The exception as ToString writes it, with the messages of it and its inner exceptions escaped (a message may quote
    // a request); the exception itself when there was nothing to escape.
    private static Exception Escape(Exception exception)
    {
        var original = exception.ToString();
        var text = original;
        foreach (var message in Chain(exception).Select(e => e.Message).Where(m => SafeText.IndexOfUnsafe(m) >= 0).Distinct())
        {
            text = text.Replace(message, SafeText.Escape(message), StringComparison.Ordinal);
        }

        text = SafeText.Escape(text, keepNewLines: true);
        return text == original ? exception : new EscapedException(exception, text);
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        yield return exception;
        IEnumerable<Exception> inner = exception is AggregateException aggregate ? aggregate.InnerExceptions
            : exception.InnerException is { } one ? [one]
            : [];
        foreach (var e in inner.SelectMany(Chain))
        {
            yield return e;
        }
    }

    /// <summary>Stands in for an exception whose text needed escaping: formatters write ToString, and this one is safe.</summary>
    private sealed class EscapedException(Exception original, string text) : Exception(SafeText.Escape(original.Message), original.InnerException)
    {
        public override string? StackTrace => original.StackTrace;

        public override string ToString() => text;
    }
}
