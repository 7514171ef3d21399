using System.Globalization;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RnnLm.Api.Infrastructure;

public static class Logging
{
    /// <summary>
    /// Serilog to standard output: readable lines or compact JSON per <see cref="RnnLmOptions.LogFormat"/>;
    /// levels come from the <c>Serilog</c> configuration section.
    /// </summary>
    public static IServiceCollection AddApiLogging(this IServiceCollection services)
    {
        services.AddSerilog((provider, logger) =>
            Configure(logger, provider.GetRequiredService<IOptions<RnnLmOptions>>().Value.LogFormat, provider.GetRequiredService<IConfiguration>()));
        // Serilog's factory makes a new logger at every CreateLogger, and the framework's results ask for one at every
        // response (Ok<T>, ValidationProblem, ...): one logger per category, made once, serves them all.
        var serilog = services.Last(d => d.ServiceType == typeof(ILoggerFactory));
        services.Remove(serilog);
        services.AddSingleton<ILoggerFactory>(provider => new CachedLoggerFactory((ILoggerFactory)(serilog.ImplementationInstance
            ?? serilog.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, serilog.ImplementationType!))));
        return services;
    }

    /// <summary>Where and how log events are written; the one definition both formats share.</summary>
    internal static LoggerConfiguration Configure(LoggerConfiguration logger, LogFormat format, IConfiguration configuration)
    {
        logger.ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            // A start-up failure is reported in one line where it happens (a model that cannot be loaded); the host's own
            // "Hosting failed to start" event would repeat it with a stack trace.
            .Filter.ByExcluding(e => e.Exception is IStartupFailure);
        // Both formats write through SafeLogEvents: text from a request can never start a line of its own. A request only
        // queues its line: the escaping, rendering and console write happen on the async sink's one worker thread, in the
        // order logged. blockWhenFull: none is dropped; a full queue makes the logging thread wait for room. Disposing the
        // logger (the host's shutdown, a failed start-up) writes what is queued.
        return logger.WriteTo.Async(queued => queued.Sink(LoggerSinkConfiguration.Wrap(sink => new SafeLogEvents(sink), sinks =>
        {
            if (format == LogFormat.Json)
            {
                sinks.Console(new CompactJsonFormatter());
            }
            else
            {
                sinks.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}", formatProvider: CultureInfo.InvariantCulture);
            }
        })), bufferSize: QueuedLines, blockWhenFull: true);
    }

    /// <summary>How many log events may wait for the console before the logging thread waits.</summary>
    internal const int QueuedLines = 10_000;

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
