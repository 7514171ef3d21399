using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Models;

/// <summary>
/// On a read replica (RnnLm:TrainingEnabled false) that shares its data directory with a trainer: every
/// RnnLm:FollowActiveModelSeconds, asks the registry to follow the trainer's activations (<see cref="ModelRegistry.FollowTrainer"/>).
/// </summary>
internal sealed class ActiveModelFollower(ModelRegistry registry, IOptions<RnnLmOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.TrainingEnabled || settings.FollowActiveModelSeconds <= 0)
        {
            return;
        }

        var seen = registry.FollowTrainer(null);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.FollowActiveModelSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            seen = registry.FollowTrainer(seen);
        }
    }
}
