using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using RnnLm.Engine.IO;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>The real service in its own process, killed with SIGKILL in the middle of a job, then started again.</summary>
public sealed class KillRestartTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-kill-").FullName;

    [Fact]
    public async Task AJobKilledMidwayResumesFromItsCheckpointAndEndsAsAnUninterruptedRunDoes()
    {
        var modelPath = Path.Combine(_folder, "tiny.rnnlm");
        RnnLmApplication.WriteTinyModel(modelPath);
        var port = FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", "kill-test");
        var job = With(SlowJob("killed", epochs: 6), ("hidden", 32));

        string id;
        using (var first = await StartAsync(client, port, modelPath))
        {
            id = await SubmitOkAsync(client, job);
            var progress = await WaitAsync(client, id, j => EpochsDone(j) >= 1, TimeSpan.FromSeconds(60));
            Assert.True(EpochsDone(progress) < 6, $"the job ended before it could be killed: {progress}");
            first.Kill(); // SIGKILL: no shutdown, no flush
            await first.WaitForExitAsync();
        }

        Assert.Equal(Jobs.JobStatus.Running, StoredStatus(id));

        using var second = await StartAsync(client, port, modelPath);
        try
        {
            var resumed = await WaitForEndAsync(client, id, TimeSpan.FromSeconds(120));
            Assert.Equal("succeeded", Status(resumed));
            Assert.Equal(1, resumed.GetProperty("restarts").GetInt32());
            var result = resumed.GetProperty("result");
            Assert.True(result.GetProperty("resumedFromEpoch").GetInt32() >= 1, resumed.ToString());

            // The same job run straight through on the same server: the same perplexity after every epoch and the same weights.
            var straight = await SubmitOkAsync(client, With(job, ("name", "straight")));
            var uninterrupted = await WaitForEndAsync(client, straight, TimeSpan.FromSeconds(120));
            Assert.Equal("succeeded", Status(uninterrupted));
            Assert.Equal(
                resumed.GetProperty("progress").GetProperty("validPerplexity").EnumerateArray().Select(p => p.GetDouble()),
                uninterrupted.GetProperty("progress").GetProperty("validPerplexity").EnumerateArray().Select(p => p.GetDouble()));
            Assert.Equal(result.GetProperty("epochs").GetInt32(), uninterrupted.GetProperty("result").GetProperty("epochs").GetInt32());
            Assert.True(result.GetProperty("resumedFromEpoch").GetInt32() < result.GetProperty("epochs").GetInt32());
            Assert.Equal(Weights(id), Weights(straight));
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still be letting go of a file; the folder is under /tmp.
        }
    }

    // The model file's hash: the trainer writes no timings or thread counts into it, so equal weights give equal files.
    private string Weights(string id) => ModelCard.HashFile(Path.Combine(_folder, "data", "models", id + ".rnnlm"));

    // What the database says after the kill: the process had no chance to write anything more.
    private Jobs.JobStatus? StoredStatus(string id)
    {
        using var store = new Jobs.JobStore(Path.Combine(_folder, "data", "jobs.db"));
        return store.Find(id)?.Status;
    }

    private async Task<Process> StartAsync(HttpClient client, int port, string modelPath)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "RnnLm.Api.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["RnnLm__ModelPath"] = modelPath,
                ["RnnLm__DataDirectory"] = Path.Combine(_folder, "data"),
                ["RnnLm__ApiKey"] = "kill-test",
            },
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return process;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                process.Kill();
                Assert.Fail($"the service did not get ready (exited: {process.HasExited})");
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
