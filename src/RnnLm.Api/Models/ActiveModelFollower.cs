using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Models;

/// <summary>
/// On a read replica (RnnLm:TrainingEnabled false) that shares its data directory with a trainer, follows the trainer's
/// activations: every RnnLm:FollowActiveModelSeconds it reads <c>active-model.json</c> and, when the chosen model or what
/// is wrong with it has changed since it last looked, activates that model here too. A chosen model that cannot be loaded
/// is logged once and left alone (the current model keeps serving, GET /health/ready says why) until its file changes.
/// An activation made on the replica itself stands until the trainer's choice changes again.
/// </summary>
internal sealed partial class ActiveModelFollower(ModelRegistry registry, ModelHost host, IOptions<RnnLmOptions> options, ILogger<ActiveModelFollower> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.TrainingEnabled || settings.FollowActiveModelSeconds <= 0)
        {
            return;
        }

        // Start-up already served (or reported) the choice it found.
        var seen = Look(registry.Chosen());
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.FollowActiveModelSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var chosen = registry.Chosen();
            if (Look(chosen) == seen)
            {
                continue;
            }

            seen = Look(host.Active?.Id == chosen.Id ? chosen : Follow(chosen));
        }
    }

    /// <summary>Activates the chosen model here, or says once why it cannot; returns the choice as it stands afterwards.</summary>
    private ChosenModel Follow(ChosenModel chosen)
    {
        if (chosen.Model is { Problem: null } model)
        {
            try
            {
                host.Activate(registry.Load(model));
                LogFollowed(logger, chosen.Id);
                return chosen;
            }
            catch (ModelLoadException)
            {
                chosen = chosen with { Model = registry.Find(chosen.Id) }; // what the load found is now the model's problem
            }
        }

        LogCannotFollow(logger, chosen.Id, chosen.Problem ?? "It cannot be loaded.");
        return chosen;
    }

    // What the follower acts on: which model is chosen and whether (or why not) it can be loaded.
    private static (string Id, string? Problem) Look(ChosenModel chosen) => (chosen.Id, chosen.Problem);

    [LoggerMessage(LogLevel.Information, "Activated {ModelId}, the model the trainer activated")]
    private static partial void LogFollowed(ILogger logger, string modelId);

    [LoggerMessage(LogLevel.Warning, "The trainer activated {ModelId}, but it cannot be loaded here; the current model keeps serving. {Reason}")]
    private static partial void LogCannotFollow(ILogger logger, string modelId, string reason);
}
