using Prometheus;

namespace RnnLm.Api.Infrastructure;

/// <summary>Application counters exported at /metrics beside prometheus-net's HTTP request counts and latencies.</summary>
public static class RnnLmMetrics
{
    public static readonly Counter TokensScored = Metrics.CreateCounter(
        "rnnlm_tokens_scored_total", "Tokens predicted by POST /score, </s> included.");

    public static readonly Counter TokensGenerated = Metrics.CreateCounter(
        "rnnlm_tokens_generated_total", "Tokens sampled by POST /generate, </s> included.");
}
