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
}
