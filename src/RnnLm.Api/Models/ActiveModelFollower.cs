using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Models;

/// <summary>
/// On a read replica (RnnLm:TrainingEnabled false) that shares its data directory with a trainer, follows the trainer's
/// activations: every RnnLm:FollowActiveModelSeconds it reads <c>active-model.json</c> and, when the id there has changed
/// since it last looked, activates that model here too. An activation made on the replica itself stands until the
/// trainer's choice changes again.
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

        var seen = registry.RememberedActive()?.Id;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.FollowActiveModelSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var chosen = registry.RememberedActive();
            if (chosen is null || chosen.Id == seen)
            {
                continue;
            }

            seen = chosen.Id;
            if (host.Active?.Id == chosen.Id)
            {
                continue;
            }

            try
            {
                host.Activate(registry.Load(chosen));
                LogFollowed(logger, chosen.Id);
            }
            catch (ModelLoadException e)
            {
                LogCannotFollow(logger, chosen.Id, e.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Activated {ModelId}, the model the trainer activated")]
    private static partial void LogFollowed(ILogger logger, string modelId);

    [LoggerMessage(LogLevel.Warning, "The trainer activated {ModelId}, but it cannot be loaded here: {Reason}")]
    private static partial void LogCannotFollow(ILogger logger, string modelId, string reason);
}
