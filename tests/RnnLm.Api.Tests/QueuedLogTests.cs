using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RnnLm.Api.Infrastructure;
using Serilog;

namespace RnnLm.Api.Tests;

/// <summary>
/// Log lines are queued and written by one worker thread (Serilog.Sinks.Async): none is dropped, not even when the queue is
/// full, they keep their order, and what is queued is written when the logger is disposed. These tests read the console,
/// so they run in the start-up collection, alone.
/// </summary>
[Collection(StartUpCollection.Name)]
public sealed partial class QueuedLogTests
{
    [Theory]
    [InlineData(LogFormat.Console)]
    [InlineData(LogFormat.Json)]
    public async Task AFullQueueMakesTheLoggerWaitAndNoLineIsDroppedOrReordered(LogFormat format)
    {
        var console = Console.Out;
        using var gate = new ManualResetEventSlim();
        using var log = new GatedWriter(gate);
        Console.SetOut(log);
        var total = Logging.QueuedLines + 100;
        try
        {
            var logger = Logging.Configure(new LoggerConfiguration(), format, new ConfigurationBuilder().Build()).CreateLogger();
            // The console is held shut, so the queue fills: a logger that dropped lines would finish at once.
            var logging = Task.Run(() =>
            {
                for (var i = 0; i < total; i++)
                {
                    logger.Information("Line {Number}", i);
                }

                logger.Warning("Last {Number}", total);
            });
            Assert.NotSame(logging, await Task.WhenAny(logging, Task.Delay(500))); // the logger waits for room in the full queue
            gate.Set();
            await logging.WaitAsync(TimeSpan.FromSeconds(30));
            logger.Dispose(); // writes what is still queued: the warning among it
        }
        finally
        {
            gate.Set(); // a worker left waiting would hold the lock every console sink writes under
            Console.SetOut(console);
        }

        var numbers = LineNumber().Matches(log.ToString()).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(0, total + 1), numbers);
        Assert.Contains(format == LogFormat.Json ? "\"@l\":\"Warning\"" : "WRN] Last", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryRequestLineReachesTheConsole()
    {
        const int Requests = 200;
        var log = await LogTests.CaptureAsync(async () =>
        {
            using var app = new RnnLmApplication(new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Default"] = "Information",
                ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
            });
            var client = app.CreateClient();
            // Paths of their own (each answers 404), so that no other test's line is counted.
            await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => client.GetAsync($"/queued-{i}")));
        }, until: text => RequestLine().Matches(text).Count >= Requests);

        var paths = RequestLine().Matches(log).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(0, Requests).Select(i => $"/queued-{i}").Order(StringComparer.Ordinal), paths);
    }

    // "Line 5" in the readable format, "Number":5 in JSON.
    [GeneratedRegex(@"(?:(?:Line|Last) |""Number"":)(\d+)")]
    private static partial Regex LineNumber();

    [GeneratedRegex(@"GET (/queued-\d+) responded 404")]
    private static partial Regex RequestLine();

    // Holds every write until the gate opens.
    private sealed class GatedWriter(ManualResetEventSlim gate) : StringWriter
    {
        public override void Write(char value)
        {
            gate.Wait();
            base.Write(value);
        }

        public override void Write(string? value)
        {
            gate.Wait();
            base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            gate.Wait();
            base.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            gate.Wait();
            base.Write(buffer);
        }
    }
}
