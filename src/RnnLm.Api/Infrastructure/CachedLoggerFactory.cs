using System.Collections.Concurrent;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// A logger factory that makes each category's logger once and hands out that one afterwards, as the framework's own
/// factory does. Serilog's factory makes a new logger (a new Serilog logger with its enricher and event id cache) at every
/// call, and ASP.NET Core's results call it at every response.
/// </summary>
internal sealed class CachedLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, inner.CreateLogger);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
