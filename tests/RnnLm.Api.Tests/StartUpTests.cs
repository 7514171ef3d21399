using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace RnnLm.Api.Tests;

/// <summary>
/// Start-up failures, read from the console: these tests redirect Console.Out, so they run alone, never beside tests
/// whose servers log (a job test's warning would land in the captured output).
/// </summary>
[Collection(StartUpCollection.Name)]
public sealed class StartUpTests : IDisposable
{
    private readonly RnnLmApplication _app = new();

    [Fact]
    public void AMissingModelFileStopsStartUpWithOneLogLineNamingTheFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.rnnlm");

        var line = StartWithModel(missing);

        Assert.Contains(missing, line, StringComparison.Ordinal);
        Assert.Contains("does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ACorruptModelFileStopsStartUpWithOneLogLineNamingTheFile()
    {
        var corrupt = Path.Combine(Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.rnnlm");
        var bytes = File.ReadAllBytes(_app.ModelPath);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(corrupt, bytes);
        try
        {
            var line = StartWithModel(corrupt);

            Assert.Contains(corrupt, line, StringComparison.Ordinal);
            Assert.Contains("corrupted", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(corrupt);
        }
    }

    [Fact]
    public void AMissingNGramFileStopsStartUpWithOneLogLineNamingItAndTheSetting()
    {
        var line = StartWith(new Dictionary<string, string?> { ["RnnLm:NGram"] = "/no/such/folder/brown5.arpa" });

        Assert.Contains("N-gram file 'brown5.arpa' does not exist. Set RnnLm:NGram", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedNGramFileStopsStartUpWithOneLogLineSayingWhereAndWhy()
    {
        var bad = Path.Combine(_app.Folder, "bad.arpa");
        File.WriteAllText(bad, "\\data\\\nngram 1=2\nngram two=3\n");

        var line = StartWith(new Dictionary<string, string?> { ["RnnLm:NGram"] = bad });

        Assert.Contains("N-gram file 'bad.arpa' cannot be read: bad.arpa, line 3: expected 'ngram N=count'", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AChosenModelThatCannotBeLoadedIsReportedInOneWarningAtStartUp()
    {
        BrokenModelTests.WriteModel(_app.Folder, "chosen", cardRecordsFile: true);
        BrokenModelTests.Truncate(_app.Folder, "chosen", 1000);
        File.WriteAllText(Path.Combine(_app.Folder, "data", "active-model.json"), """{"Id":"chosen"}""");

        // Log lines are written by a worker thread (Logging.QueuedLines): the warning may reach the console just after start-up.
        var lines = Capture(() => _app.CreateClient(), until: text => text.Contains(" WRN] ", StringComparison.Ordinal));

        // The host's own "Application started" lines are information; the one warning is the choice it could not honour.
        var line = Assert.Single(lines, l => !l.Contains(" INF] ", StringComparison.Ordinal));
        Assert.Contains(" WRN] ", line, StringComparison.Ordinal);
        Assert.Contains("(active-model.json), chosen, cannot serve; serving tiny instead until a model is activated. The file is ", line, StringComparison.Ordinal);
        Assert.Contains("it was cut short or overwritten", line, StringComparison.Ordinal);
    }

    public void Dispose() => _app.Dispose();

    // The lines logged while the action runs.
    private static string[] Capture(Action action, Func<string, bool>? until = null)
    {
        var console = Console.Out;
        using var log = new StringWriter();
        Console.SetOut(log);
        try
        {
            action();
            if (until is not null)
            {
                SpinWait.SpinUntil(() => until(log.ToString()), TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        return log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private string StartWithModel(string path) => StartWith(new Dictionary<string, string?> { ["RnnLm:ModelPath"] = path });

    // Starts a second application with other settings; expects start-up to fail and returns the one line it logged.
    private string StartWith(Dictionary<string, string?> settings)
    {
        var lines = Capture(() =>
        {
            using var broken = _app.WithWebHostBuilder(builder => builder.ConfigureAppConfiguration((_, configuration) =>
                configuration.AddInMemoryCollection(settings)));
            Assert.ThrowsAny<Exception>(() => broken.CreateClient());
        });
        var line = Assert.Single(lines);
        Assert.Contains("FTL", line, StringComparison.Ordinal);
        return line;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StartUpCollection
{
    public const string Name = "start-up";
}
