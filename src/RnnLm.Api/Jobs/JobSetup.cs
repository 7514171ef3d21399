using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using RnnLm.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RnnLm.Api.Models;
using RnnLm.Engine.Training;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace RnnLm.Api.Jobs;

public static class JobSetup
{
    /// <summary>
    /// The jobs: their queue (a hosted service), runner, live board and the manager the API calls, the store of job records and the job folders, both in the data
    /// directory, and form limits that fit RnnLm:MaxTrainingBytes.
    /// </summary>
    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddSingleton(provider => new JobStore(Path.Combine(provider.GetRequiredService<ModelRegistry>().DataDirectory, "jobs.db")));
        services.AddSingleton(provider =>
        {
            var brown = Path.Combine(provider.GetRequiredService<IOptions<RnnLmOptions>>().Value.BrownDirectory, "train.txt");
            var contentRoot = provider.GetRequiredService<IHostEnvironment>().ContentRootPath;
            return new JobFiles(Path.Combine(provider.GetRequiredService<ModelRegistry>().DataDirectory, "jobs"), Path.GetDirectoryName(RnnLmOptionsSetup.Resolve(brown, contentRoot))!);
        });
        services.TryAddSingleton(TrainingSettings.Standard); // the training settings' names, limits and defaults (tests swap in changed copies)
        services.AddOptions<SwaggerGenOptions>().Configure<TrainingSettings>((options, catalog) =>
        {
            options.SchemaFilter<TrainingSettingsSchemaFilter>();
            options.MapType<JobSettings>(() => TrainingSettingsSchemaFilter.JobSettingsSchema(catalog));
        });
        services.AddSingleton<JobBoard>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobQueue>();
        services.AddHostedService(provider => provider.GetRequiredService<JobQueue>());
        services.AddSingleton<JobManager>();
        services.AddOptions<FormOptions>().Configure<IOptions<RnnLmOptions>>((form, options) =>
        {
            form.MultipartBodyLengthLimit = options.Value.MaxTrainingBytes;
            form.ValueLengthLimit = (int)Math.Min(int.MaxValue, options.Value.MaxTrainingBytes);
        });
        return services;
    }
}
