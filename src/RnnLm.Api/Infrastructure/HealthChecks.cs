using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RnnLm.Api.Models;

namespace RnnLm.Api.Infrastructure;

public static class HealthChecks
{
    private const string Ready = "ready";

    public static IServiceCollection AddApiHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ModelReadyCheck>("model", tags: [Ready]);
        return services;
    }

    /// <summary>
    /// /health/live: the process answers. /health/ready: a model is active and requests can be served (200), Degraded (still
    /// 200) when the model serving is not the one the last activation chose, Unhealthy (503) only when no model is loaded.
    /// </summary>
    public static IEndpointRouteBuilder MapApiHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJson });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteJson });
        return app;
    }

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
        }));
    }

    /// <summary>
    /// Degraded, not Unhealthy, when the chosen model cannot serve: the replica still answers every request with the model it
    /// has (the shipped one after a failed start-up load), and a readiness probe that failed it would take every replica
    /// sharing the data directory out of service at once over one damaged file. The status and description say what to fix.
    /// </summary>
    private sealed class ModelReadyCheck(ModelHost models, ModelRegistry registry) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (models.Active is not { } active)
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
}
