using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RnnLm.Api.Infrastructure;
using Serilog;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>
/// Text from a request never starts a log line of its own, in either log format. These tests read the console, so they
/// run in the start-up collection, alone.
/// </summary>
[Collection(StartUpCollection.Name)]
public sealed class LogTests
{
    private const string Forged = "[05:00:00 ERR] forged";

    // CR LF, then a next-line character (U+0085, a line break to many log readers), then the forged line.
    private const string ForgedInUrl = "a%0D%0A%5B05:00:00%20ERR%5D%20forged%C2%85%5B05:00:00%20ERR%5D%20forged";

    [Theory]
    [InlineData(LogFormat.Console)]
    [InlineData(LogFormat.Json)]
    public async Task APathAQueryValueOrAJobNameCannotForgeALogLine(LogFormat format)
    {
        var log = await CaptureAsync(async () =>
        {
            using var app = new RnnLmApplication(new Dictionary<string, string?>
            {
                ["RnnLm:LogFormat"] = format.ToString(),
                ["Serilog:MinimumLevel:Default"] = "Information",
                ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
                // Logs each handled bad request with the exception's message, which quotes the query value.
                ["Serilog:MinimumLevel:Override:RnnLm.Api.Infrastructure.ApiExceptionHandler"] = "Debug",
            });
            var client = app.CreateManagementClient();
            await client.GetAsync($"/jobs/{ForgedInUrl}");
            await client.GetAsync($"/next?top={ForgedInUrl}");
            var id = await SubmitOkAsync(client, With(QuickJob(), ("name", $"a\r\n{Forged}\u2028{Forged}")));
            await WaitForEndAsync(client, id);
        }, until: text => text.Contains("queued", StringComparison.Ordinal));

        AssertNoForgedLine(log, format);
    }

    [Theory]
    [InlineData(LogFormat.Console)]
    [InlineData(LogFormat.Json)]
    public async Task AnExceptionMessageThatQuotesARequestStaysOnItsLine(LogFormat format)
    {
        var log = await CaptureAsync(() =>
        {
            using var logger = Logging.Configure(new LoggerConfiguration(), format, new ConfigurationBuilder().Build()).CreateLogger();
            try
            {
                try
                {
                    throw new FormatException($"'1\r\n{Forged}' is not a number.");
                }
                catch (FormatException inner)
                {
                    throw new InvalidOperationException($"Cannot read 'x\n{Forged}'.", inner);
                }
            }
            catch (InvalidOperationException e)
            {
                logger.Error(e, "Request {Path} failed", $"/a\r{Forged}");
            }

            return Task.CompletedTask;
        }, until: text => text.Contains("forged", StringComparison.Ordinal));

        AssertNoForgedLine(log, format);
        Assert.Contains("at RnnLm.Api.Tests.LogTests", log, StringComparison.Ordinal); // the stack trace is still there
    }

    // Every line is one event (JSON) or an event, or the runtime's exception lines (readable text); no other control character.
    private static void AssertNoForgedLine(string log, LogFormat format)
    {
        Assert.Contains("forged", log, StringComparison.Ordinal);
        var lines = log.Split('\n');
        foreach (var line in lines)
        {
            Assert.False(line.StartsWith(Forged, StringComparison.Ordinal), $"a forged line:\n{log}");
            var control = line.FirstOrDefault(c => char.IsControl(c) || c is '\u2028' or '\u2029');
            Assert.True(control == default, $"U+{(int)control:X4} in a log line: {line}");
            if (format == LogFormat.Json && line.Length > 0)
            {
                using var _ = JsonDocument.Parse(line);
            }
        }
    }

    // Runs the action with the console redirected, then waits (at most 10 s) until the log satisfies the condition:
    // request logs are written when a request completes, which can be just after the client has its answer.
    internal static async Task<string> CaptureAsync(Func<Task> action, Func<string, bool> until)
    {
        var console = Console.Out;
        using var log = new StringWriter();
        Console.SetOut(log);
        try
        {
            await action();
            var clock = Stopwatch.StartNew();
            while (!until(log.ToString()) && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        return log.ToString();
    }
}
