using System.Globalization;
using Microsoft.Extensions.Options;
using RnnLm.Api.Models;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RnnLm.Api.Infrastructure;

public static class Logging
{
    /// <summary>
    /// Serilog to standard output: readable lines or compact JSON per <see cref="RnnLmOptions.LogFormat"/>;
    /// levels come from the <c>Serilog</c> configuration section.
    /// </summary>
    public static IServiceCollection AddApiLogging(this IServiceCollection services) =>
        services.AddSerilog((provider, logger) =>
        {
            var format = provider.GetRequiredService<IOptions<RnnLmOptions>>().Value.LogFormat;
            logger.ReadFrom.Configuration(provider.GetRequiredService<IConfiguration>())
                .Enrich.FromLogContext()
                // A model that cannot be loaded is reported in one line by ModelStartup; the host's own
                // "Hosting failed to start" event would repeat it with a stack trace.
                .Filter.ByExcluding(e => e.Exception is ModelLoadException);
            if (format == LogFormat.Json)
            {
                logger.WriteTo.Console(new CompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(
                    outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                    formatProvider: CultureInfo.InvariantCulture);
            }
        });

    /// <summary>One line per request with its status and elapsed time; probes and scrapes only at Debug.</summary>
    public static IApplicationBuilder UseApiRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.GetLevel = static (context, _, exception) =>
                exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Debug
                : LogEventLevel.Information;
        });
}
