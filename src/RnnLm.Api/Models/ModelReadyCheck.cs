using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RnnLm.Api.Models;

/// <summary>
/// Degraded, not Unhealthy, when the chosen model cannot serve: the replica still answers every request with the model it
/// has (the shipped one after a failed start-up load), and a readiness probe that failed it would take every replica
/// sharing the data directory out of service at once over one damaged file. The status and description say what to fix.
/// </summary>
internal sealed class ModelReadyCheck(ModelRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (registry.Active is not { } active)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("No model is loaded yet."));
        }

        var chosen = registry.Chosen();
        var why = chosen.WhyNotServing(active.Id);
        var data = new Dictionary<string, object> { ["servingId"] = active.Id, ["chosenId"] = chosen.Id };
        if (why is null)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Model {active.Id} is active.", data));
        }

        data["reason"] = why;
        return Task.FromResult(HealthCheckResult.Degraded(
            $"Model {active.Id} is serving, not {chosen.Id}, the model the last activation chose. {why} "
            + "Activate a model (POST /models/{id}/activate) to choose again.", data: data));
    }
}
