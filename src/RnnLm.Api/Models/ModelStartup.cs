using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Models;

public static class ModelStartupSetup
{
    /// <summary>The <see cref="ModelHost"/> singleton, filled with the configured model before the server starts listening.</summary>
    public static IServiceCollection AddModelHost(this IServiceCollection services)
    {
        services.AddSingleton<ModelHost>();
        services.AddSingleton<ModelRegistry>();
        services.AddHostedService<ModelStartup>();
        services.AddHostedService<ActiveModelFollower>();
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
/// Loads the model in <see cref="StartingAsync"/>, which the host runs before any service starts (the web server
/// included): the API never listens without a model, and a bad file stops start-up with one log line naming it.
/// </summary>
internal sealed partial class ModelStartup(ModelHost models, ModelRegistry registry, IOptions<RnnLmOptions> options, IHostEnvironment environment, ILogger<ModelStartup> logger)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // The model chosen before the last stop comes back; if it cannot be loaded any more, the shipped one serves instead,
        // and the log (once, here), GET /health/ready and GET /models say so until another model is activated.
        if (registry.Chosen() is { Model: { Source: ModelSource.Trained, Problem: null } remembered })
        {
            try
            {
                Serve(registry.Load(remembered));
                return Task.CompletedTask;
            }
            catch (ModelLoadException)
            {
                // The shipped model serves; the registry kept what the load found, and the warning below says it.
            }
        }

        var path = ModelHost.Resolve(options.Value.ModelPath, environment.ContentRootPath);
        try
        {
            Serve(ModelHost.Load(path));
        }
        catch (ModelLoadException e)
        {
            LogCannotLoad(logger, e.Message);
            throw;
        }

        var chosen = registry.Chosen();
        if (chosen.WhyNotServing(models.Active?.Id) is { } reason)
        {
            LogChosenNotServed(logger, chosen.Id, models.Current.Id, reason);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Serve(ActiveModel active)
    {
        models.Activate(active);
        var shape = active.Model.Shape;
        LogLoaded(logger, active.Id, active.Path, shape.VocabularySize, shape.Hidden, shape.Output, active.Sha256[..12]);
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Serving model {ModelId} from {ModelPath}: {VocabularySize} words, hidden {Hidden}, {Output} output, sha256 {Sha256}…")]
    private static partial void LogLoaded(ILogger logger, string modelId, string modelPath, int vocabularySize, int hidden, Engine.Model.OutputKind output, string sha256);

    [LoggerMessage(LogLevel.Warning, "The model chosen by the last activation (active-model.json), {ChosenId}, cannot serve; serving {ServingId} instead until a model is activated. {Reason}")]
    private static partial void LogChosenNotServed(ILogger logger, string chosenId, string servingId, string reason);

    [LoggerMessage(LogLevel.Critical, "Cannot start: {Reason}")]
    private static partial void LogCannotLoad(ILogger logger, string reason);
}
