using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Jobs;

public static class JobSetup
{
    /// <summary>The job manager (a hosted service that runs the queue) and form limits that fit RnnLm:MaxTrainingBytes.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddSingleton<JobManager>();
        services.AddHostedService(provider => provider.GetRequiredService<JobManager>());
        services.AddOptions<FormOptions>().Configure<IOptions<RnnLmOptions>>((form, options) =>
        {
            form.MultipartBodyLengthLimit = options.Value.MaxTrainingBytes;
            form.ValueLengthLimit = (int)Math.Min(int.MaxValue, options.Value.MaxTrainingBytes);
        });
        return services;
    }
}
