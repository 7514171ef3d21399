using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Models;

public static class ModelStartupSetup
{
    /// <summary>
    /// The <see cref="ModelRegistry"/> singleton, filled with the model to serve before the server starts listening; the follower
    /// of a trainer's activations; and the model's readiness check.
    /// </summary>
    public static IServiceCollection AddModelRegistry(this IServiceCollection services)
    {
        services.AddSingleton<ModelRegistry>();
        services.AddHostedService<ModelStartup>();
        services.AddHostedService<ActiveModelFollower>();
        services.AddHealthChecks().AddCheck<ModelReadyCheck>("model", tags: [HealthChecks.Ready]);
        return services;
    }

    /// <summary>Runs the application; returns 1 when the model cannot be loaded (already logged in one line), 0 after a normal stop.</summary>
    public static int RunOrExit(this WebApplication app)
    {
        try
        {
            app.Run();
            return 0;
        }
        catch (ModelLoadException)
        {
            return 1;
        }
    }
}

/// <summary>
/// Has the registry load the model in <see cref="StartingAsync"/>, which the host runs before any service starts (the web
/// server included): the API never listens without a model, and a bad file stops start-up with one log line naming it.
/// </summary>
internal sealed class ModelStartup(ModelRegistry registry) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        registry.Start();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
