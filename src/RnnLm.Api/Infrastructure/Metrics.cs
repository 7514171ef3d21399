using System.Diagnostics.Tracing;
using Prometheus;

namespace RnnLm.Api.Infrastructure;

/// <summary>Application counters exported at /metrics beside prometheus-net's HTTP request counts and latencies.</summary>
public static class RnnLmMetrics
{
    public static readonly Counter TokensScored = Metrics.CreateCounter(
        "rnnlm_tokens_scored_total", "Tokens predicted by POST /score, </s> included.");

    public static readonly Counter TokensGenerated = Metrics.CreateCounter(
        "rnnlm_tokens_generated_total", "Tokens sampled by POST /generate, </s> included.");

    public static readonly Counter SessionTokens = Metrics.CreateCounter(
        "rnnlm_session_tokens_total", "Tokens scored by streaming sessions (a prefix, POST /sessions/{id}/tokens), </s> included.");

    public static readonly Gauge Sessions = Metrics.CreateGauge(
        "rnnlm_sessions", "Streaming sessions held (RnnLm:MaxSessions at most).");

    public static readonly Gauge SessionBytes = Metrics.CreateGauge(
        "rnnlm_session_bytes", "Memory the streaming sessions hold, as counted against RnnLm:MaxSessionBytes.");

    /// <summary>
    /// The event counters /metrics exports (<c>system_runtime_*</c> and the like) are read at <see cref="EventLevel.Critical"/>,
    /// not prometheus-net's default Informational. Their values come in events written at LogAlways, which every level
    /// receives; at Informational the adapter's listener also received Kestrel's and the host's per-request start and stop
    /// events, and every one of them was copied into an event object for it, at every request, to be thrown away.
    /// Must run before the first metric is made (the default registry starts its adapters then).
    /// </summary>
    public static IServiceCollection AddApiMetrics(this IServiceCollection services)
    {
        Metrics.ConfigureEventCounterAdapter(options =>
            options.EventSourceSettingsProvider = _ => new EventCounterAdapterEventSourceSettings { MinimumLevel = EventLevel.Critical });
        return services;
    }
}
