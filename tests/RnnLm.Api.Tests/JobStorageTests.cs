using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using RnnLm.Api.Infrastructure;
using RnnLm.Api.Jobs;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>
/// What jobs keep on disk and what happens when the disk fails: a full disk answers 507 and leaves nothing half-made, a store
/// that cannot be read answers 503 (never an empty list), and deleting an ended job or its model removes the text it kept.
/// </summary>
public sealed class JobStorageTests
{
    public static TheoryData<Exception, int?> StorageFaults => new()
    {
        { new IOException("No space left on device : '/srv/data/jobs/j1/train.txt'", 28), 507 },
        { new IOException("Read-only file system : '/srv/data/jobs/j1'", 30), 503 },
        { new IOException("Input/output error : '/srv/data/jobs/j1'", 5), 503 },
        { new UnauthorizedAccessException("Access to the path '/srv/data/jobs/j1' is denied."), 503 },
        { new SqliteException("SQLite Error 13: 'database or disk is full'.", 13), 507 },
        { new SqliteException("SQLite Error 8: 'attempt to write a readonly database'.", 8), 503 },
        { new SqliteException("SQLite Error 14: 'unable to open database file'.", 14), 503 },
        { new SqliteException("SQLite Error 26: 'file is not a database'.", 26), 503 },
        { new SqliteException("SQLite Error 19: 'UNIQUE constraint failed: jobs.id'.", 19), null },
        { new FileNotFoundException("Could not find file '/srv/data/jobs/j1/train.txt'."), null },
        { new InvalidOperationException("Not a storage fault."), null },
    };

    [Theory]
    [MemberData(nameof(StorageFaults))]
    public void StorageFaultsAreToldApartFromBugsAndSaidWithoutPaths(Exception exception, int? status)
    {
        var fault = Storage.Translate(exception, "The job record cannot be saved");

        Assert.Equal(status, fault?.StatusCode);
        if (fault is not null)
        {
            Assert.StartsWith("The job record cannot be saved: ", fault.Message);
            Assert.Contains("RnnLm__DataDirectory", fault.Message);
            Assert.DoesNotContain("/srv", fault.Message);
        }
    }

    [Fact]
    public void TheFormReadersOwnErrorsAreNotTakenForTheDisks()
    {
        Assert.False(Storage.IsOperatingSystemError(new IOException("Unexpected end of Stream, the content may have already been read by another component. ")));
        Assert.True(Storage.IsOperatingSystemError(new IOException("No space left on device : '/tmp/ASPNETCORE_1.tmp'", 28)));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("record")]
    public async Task ASubmissionOnAFullDiskAnswers507AndLeavesNothingOfTheJob(string failing)
    {
        using var app = new RnnLmApplication();
        var faults = new DiskFaults { FilesFull = failing == "text", DatabaseFull = DiskFaults.Changes(failing == "record" ? "INSERT" : "nothing") };
        using var server = faults.Apply(app);
        var client = Management(server);

        var (response, problem) = await SubmitAsync(client, QuickJob());

        AssertStorageProblem(HttpStatusCode.InsufficientStorage, "is full", response, problem, app.Folder);
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>("/jobs")).GetProperty("jobs").EnumerateArray());
        Assert.Empty(Entries(Path.Combine(app.Folder, "data", "jobs")));

        // With room again the same submission goes through and runs: nothing was left in the way.
        faults.FilesFull = false;
        faults.DatabaseFull = _ => false;
        Assert.Equal("succeeded", Status(await WaitForEndAsync(client, await SubmitOkAsync(client, QuickJob()))));
    }

    [Fact]
    public async Task AJobWhoseRecordCannotBeUpdatedFailsSayingWhyAndTheNextJobRuns()
    {
        using var app = new RnnLmApplication();
        var faults = new DiskFaults { DatabaseFull = DiskFaults.Changes("UPDATE") };
        using var server = faults.Apply(app);
        var client = Management(server);

        var id = await SubmitOkAsync(client, QuickJob("unsaved"));
        var failed = await WaitForEndAsync(client, id);

        Assert.Equal("failed", Status(failed));
        var error = failed.GetProperty("error").GetString()!;
        Assert.StartsWith("The job record cannot be saved: the disk of the data directory (RnnLm__DataDirectory) is full", error);
        Assert.Contains("submit the job again", error);
        Assert.DoesNotContain(app.Folder, error);
        Assert.Equal("failed", Status((await client.GetFromJsonAsync<JsonElement>("/jobs")).GetProperty("jobs")[0]));

        // The worker carries on with the next job once there is room, and deleting the failed one records its end.
        faults.DatabaseFull = _ => false;
        Assert.Equal("succeeded", Status(await WaitForEndAsync(client, await SubmitOkAsync(client, QuickJob("next")))));
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/jobs/{id}")).StatusCode);
        using var store = new JobStore(Path.Combine(app.Folder, "data", "jobs.db"));
        var saved = store.Find(id)!;
        Assert.Equal(JobStatus.Failed, saved.Status);
        Assert.Equal(error, saved.Error);
        Assert.NotNull(saved.FilesRemovedUtc);
    }

    [Fact]
    public async Task CancellingAQueuedJobWhoseRecordCannotBeSavedAnswers507AndLeavesItQueued()
    {
        using var app = new RnnLmApplication();
        var faults = new DiskFaults();
        using var server = faults.Apply(app);
        var client = Management(server);
        var running = await SubmitOkAsync(client, SlowJob("holding the worker"));
        var queued = await SubmitOkAsync(client, QuickJob("waiting"));
        await WaitAsync(client, running, job => Status(job) == "running");

        faults.DatabaseFull = DiskFaults.Changes("UPDATE", queued);
        var (refused, problem) = await SendAsync(client, HttpMethod.Delete, $"/jobs/{queued}");

        AssertStorageProblem(HttpStatusCode.InsufficientStorage, "is full", refused, problem, app.Folder);
        Assert.Equal("queued", Status(await GetJobAsync(client, queued)));
        faults.DatabaseFull = _ => false;
        Assert.Equal("cancelled", Status((await SendAsync(client, HttpMethod.Delete, $"/jobs/{queued}")).Json));
        Assert.Equal("cancelled", Status((await SendAsync(client, HttpMethod.Delete, $"/jobs/{running}")).Json));
    }

    [Fact]
    public async Task DeletingAnEndedJobRemovesItsTextAndCheckpointsAndKeepsItsRecordAndModel()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, QuickJob("kept"));
        var ended = await WaitForEndAsync(client, id);
        var folder = Path.Combine(app.Folder, "data", "jobs", id);
        Assert.Equal(string.Concat(((string[])QuickJob()["train"]!).Select(s => s + "\n")), File.ReadAllText(Path.Combine(folder, "train.txt")));
        // They go when the job ends: just after its end is recorded (and so visible), so allow the runner a moment.
        var checkpoints = Path.Combine(folder, "checkpoints");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists(checkpoints) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.False(Directory.Exists(checkpoints), "the ended job's checkpoints are still there after 30 s");
        Assert.Equal(JsonValueKind.Null, ended.GetProperty("filesRemovedUtc").ValueKind);

        var (response, deleted) = await SendAsync(client, HttpMethod.Delete, $"/jobs/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", Status(deleted));
        Assert.Equal(id, deleted.GetProperty("modelId").GetString());
        Assert.True(deleted.GetProperty("filesRemovedUtc").GetDateTimeOffset() >= ended.GetProperty("finishedUtc").GetDateTimeOffset());
        Assert.False(Directory.Exists(folder));
        Assert.Equal(deleted.ToString(), (await GetJobAsync(client, id)).ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/models/{id}")).StatusCode);
        var (_, again) = await SendAsync(client, HttpMethod.Delete, $"/jobs/{id}");
        Assert.Equal(deleted.ToString(), again.ToString());
    }

    [Fact]
    public async Task AnEndedJobsFilesThatCannotBeRemovedAnswer503AndTheJobKeepsThem()
    {
        using var app = new RnnLmApplication();
        var faults = new DiskFaults();
        using var server = faults.Apply(app);
        var client = Management(server);
        var id = await SubmitOkAsync(client, QuickJob());
        await WaitForEndAsync(client, id);

        faults.RemovalDenied = true;
        var (refused, problem) = await SendAsync(client, HttpMethod.Delete, $"/jobs/{id}");

        AssertStorageProblem(HttpStatusCode.ServiceUnavailable, "not allowed", refused, problem, app.Folder);
        Assert.Equal(JsonValueKind.Null, (await GetJobAsync(client, id)).GetProperty("filesRemovedUtc").ValueKind);
        Assert.True(File.Exists(Path.Combine(app.Folder, "data", "jobs", id, "train.txt")));
        faults.RemovalDenied = false;
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/jobs/{id}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(app.Folder, "data", "jobs", id)));
    }

    [Fact]
    public async Task DeletingAModelRemovesTheTextOfTheJobThatTrainedIt()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, QuickJob());
        await WaitForEndAsync(client, id);
        Assert.True(File.Exists(Path.Combine(app.Folder, "data", "jobs", id, "train.txt")));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/models/{id}")).StatusCode);

        Assert.False(Directory.Exists(Path.Combine(app.Folder, "data", "jobs", id)));
        var job = await GetJobAsync(client, id);
        Assert.Equal("succeeded", Status(job));
        Assert.Equal(JsonValueKind.String, job.GetProperty("filesRemovedUtc").ValueKind);
    }

    [Fact]
    public async Task AFolderLeftByASubmissionThatDiedIsRemovedAtTheNextStartAndKeptTextStays()
    {
        var folder = Directory.CreateTempSubdirectory("rnnlm-api-orphan-").FullName;
        try
        {
            string id;
            using (var first = new RnnLmApplication(null, folder))
            {
                var client = first.CreateManagementClient();
                id = await SubmitOkAsync(client, QuickJob());
                await WaitForEndAsync(client, id);
            }

            // What a process killed between writing a job's text and its record leaves behind.
            var orphan = Directory.CreateDirectory(Path.Combine(folder, "data", "jobs", "j20250101000000a1b2c3d4e5f6")).FullName;
            File.WriteAllText(Path.Combine(orphan, "train.txt"), "a b c\n");
            Directory.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddMinutes(-1));

            using var second = new RnnLmApplication(null, folder);
            await second.GetOkAsync("/jobs");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Directory.Exists(orphan))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the orphaned folder is still there");
                await Task.Delay(50);
            }

            Assert.True(File.Exists(Path.Combine(folder, "data", "jobs", id, "train.txt")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AJobStoreThatIsNotADatabaseAnswers503InsteadOfAnEmptyList()
    {
        await WithUnreadableStoreAsync(
            data =>
            {
                // The first server's connection may still be closing: its last close checkpoints the WAL into jobs.db (and
                // deletes jobs.db-wal), which would write over the damage. Wait for that before damaging the file.
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                var wal = Path.Combine(data, "jobs.db-wal");
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (new FileInfo(wal) is { Exists: true, Length: > 0 } && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(20);
                }

                Assert.False(new FileInfo(wal) is { Exists: true, Length: > 0 }, "the first server's store was not closed within 30 s");
                File.WriteAllBytes(Path.Combine(data, "jobs.db"), [.. "not a database!!"u8, .. File.ReadAllBytes(Path.Combine(data, "jobs.db"))[16..]]);
            },
            data => { },
            "is damaged or is not a SQLite database");
    }

    [NotAsRootFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AnUnreadableDataDirectoryAnswers503InsteadOfAnEmptyList()
    {
        await WithUnreadableStoreAsync(
            data => File.SetUnixFileMode(data, UnixFileMode.None),
            data => File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute),
            "cannot be opened");
    }

    [SmallDiskFact]
    public async Task OnARealFullDiskARunningJobFailsSayingWhyAndASubmissionAnswers507()
    {
        using var disk = new SmallDisk(4 << 20);
        using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:DataDirectory"] = disk.Path });
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, SlowJob("filled", epochs: 30));
        await WaitAsync(client, id, job => EpochsDone(job) >= 1);

        disk.Fill();
        var failed = await WaitForEndAsync(client, id);

        Assert.Equal("failed", Status(failed));
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains("the disk of the data directory (RnnLm__DataDirectory) is full", error);
        Assert.DoesNotContain(disk.Path, error);
        Assert.Empty(Directory.GetFiles(disk.Path, "*.tmp", SearchOption.AllDirectories)); // no half-written checkpoint or record

        disk.Fill(); // the failed job's checkpoints made some room
        var jobs = Entries(Path.Combine(disk.Path, "jobs"));
        var (response, problem) = await SubmitAsync(client, QuickJob());
        AssertStorageProblem(HttpStatusCode.InsufficientStorage, "is full", response, problem, disk.Path);
        Assert.Equal(jobs, Entries(Path.Combine(disk.Path, "jobs")));
        Assert.Single((await client.GetFromJsonAsync<JsonElement>("/jobs")).GetProperty("jobs").EnumerateArray());

        disk.Free();
        Assert.Equal("succeeded", Status(await WaitForEndAsync(client, await SubmitOkAsync(client, QuickJob()))));
    }

    // A data directory whose jobs.db holds a finished job, made unreadable by `spoil` (and put back by `restore`), on a new server.
    private static async Task WithUnreadableStoreAsync(Action<string> spoil, Action<string> restore, string why)
    {
        var folder = Directory.CreateTempSubdirectory("rnnlm-api-unreadable-").FullName;
        var data = Path.Combine(folder, "data");
        try
        {
            string id;
            using (var first = new RnnLmApplication(null, folder))
            {
                var firstClient = first.CreateManagementClient();
                id = await SubmitOkAsync(firstClient, QuickJob());
                Assert.Equal("succeeded", Status(await WaitForEndAsync(firstClient, id)));
            }

            spoil(data);
            try
            {
                using var app = new RnnLmApplication(null, folder);
                var client = app.CreateManagementClient();
                foreach (var path in new[] { "/jobs", $"/jobs/{id}", $"/jobs/{id}/events" })
                {
                    var (response, problem) = await SendAsync(client, HttpMethod.Get, path);
                    AssertStorageProblem(HttpStatusCode.ServiceUnavailable, why, response, problem, folder);
                    Assert.StartsWith("The job store cannot be read: ", problem.GetProperty("detail").GetString());
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SubmitAsync(client, QuickJob())).Response.StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/next?prefix=the")).StatusCode);
            }
            finally
            {
                restore(data);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertStorageProblem(HttpStatusCode status, string words, HttpResponseMessage response, JsonElement problem, string folder)
    {
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(words, detail);
        Assert.Contains("RnnLm__DataDirectory", detail);
        Assert.DoesNotContain(folder, problem.ToString());
        Assert.Equal(detail, problem.GetProperty("errors").GetProperty("storage")[0].GetString());
    }

    private static HttpClient Management(WebApplicationFactory<Program> server)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", RnnLmApplication.ApiKey);
        return client;
    }

    private static async Task<(HttpResponseMessage Response, JsonElement Json)> SendAsync(HttpClient client, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string[] Entries(string folder) =>
        Directory.Exists(folder) ? [.. Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)] : [];
}
