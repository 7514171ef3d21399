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

    public void Dispose() => _app.Dispose();

    // Starts a second application on another model file; expects start-up to fail and returns the one line it logged.
    private string StartWithModel(string path)
    {
        var console = Console.Out;
        using var log = new StringWriter();
        Console.SetOut(log);
        try
        {
            using var broken = _app.WithWebHostBuilder(builder => builder.ConfigureAppConfiguration((_, configuration) =>
                configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["RnnLm:ModelPath"] = path })));
            Assert.ThrowsAny<Exception>(() => broken.CreateClient());
        }
        finally
        {
            Console.SetOut(console);
        }

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
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
