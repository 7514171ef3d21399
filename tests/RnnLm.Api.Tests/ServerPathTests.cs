using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RnnLm.Api.Jobs;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>Error messages name files relative to the data directory, or by their last name; never by an absolute server path.</summary>
public sealed class ServerPathTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-paths-").FullName;

    [Fact]
    public async Task AModelThatCannotBeLoadedIsNamedRelativeToTheDataDirectory()
    {
        using var app = new RnnLmApplication(null, _folder);
        var models = Path.Combine(_folder, "data", "models");
        Directory.CreateDirectory(models);
        File.WriteAllBytes(Path.Combine(models, "broken.rnnlm"), [1, 2, 3, 4, 5, 6, 7, 8]);

        var (next, nextProblem) = await app.SendAsync(HttpMethod.Get, "/next?model=broken");
        var (activation, activationProblem) = await app.SendAsync(HttpMethod.Post, "/models/broken/activate", apiKey: RnnLmApplication.ApiKey);

        // An unreadable model is a 409 naming it by its id (BrokenModelTests); whatever the reason quotes, no server path.
        Assert.Equal(HttpStatusCode.Conflict, next.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, activation.StatusCode);
        foreach (var problem in new[] { nextProblem, activationProblem })
        {
            AssertNoServerPath(app, problem.ToString());
            Assert.Contains("'broken'", problem.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnUnwritableDataDirectoryIsReportedWithoutItsPath()
    {
        var file = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(file, "");
        using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:DataDirectory"] = file }, _folder);
        var client = app.CreateManagementClient();

        var (submit, submitProblem) = await SubmitAsync(client, QuickJob());
        var activation = await client.PostAsync("/models/tiny/activate", null);
        var activationText = await activation.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, submit.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, activation.StatusCode);
        AssertNoServerPath(app, submitProblem.ToString());
        AssertNoServerPath(app, activationText);
        Assert.Contains("RnnLm__DataDirectory", activationText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingBrownCorpusIsNamedWithoutItsFolder()
    {
        var brown = Path.Combine(_folder, "corpora", "brown");
        using var app = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:BrownDirectory"] = brown }, _folder);

        var (response, problem) = await SubmitAsync(app.CreateManagementClient(), new { corpus = "brown" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertNoServerPath(app, problem.ToString());
        Assert.Contains("RnnLm:BrownDirectory", problem.GetProperty("errors").GetProperty("corpus")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJobWhoseTextIsGoneFailsWithoutNamingItsPath()
    {
        // A queued job whose text never reached the disk: the record alone, as a crash between the two could leave it.
        var settings = new JobSettings(Engine.Training.TrainingSettings.Standard.Defaults with { Hidden = 8, Embedding = 8, Classes = 4, Streams = 1, Alpha = 0.2, MaxEpochs = 3, MinCount = 1 }, null, PromotionMode.Never);
        var record = new JobResponse("j20250101000000aaaaaaaaaa", "orphan", JobStatus.Queued, DateTimeOffset.UtcNow, null, null,
            new JobData("text", 10, 2, "sent text"), settings, null, null, null, 0, null);
        using (var store = new JobStore(Path.Combine(_folder, "data", "jobs.db")))
        {
            store.Insert(record);
        }

        using var app = new RnnLmApplication(null, _folder);
        var client = app.CreateClient();
        var job = await WaitForEndAsync(client, record.Id);
        var list = await client.GetStringAsync("/jobs");

        Assert.Equal("failed", Status(job));
        AssertNoServerPath(app, job.ToString());
        AssertNoServerPath(app, list);
        Assert.Contains("is no longer kept", job.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // No folder this server knows: the test folder, the temp folder, the content root, the working directory and the app's own.
    private void AssertNoServerPath(RnnLmApplication app, string text)
    {
        string[] folders = [_folder, app.Services.GetRequiredService<IHostEnvironment>().ContentRootPath, Path.GetTempPath(), Environment.CurrentDirectory, AppContext.BaseDirectory, Path.GetDirectoryName(typeof(Program).Assembly.Location)!];
        foreach (var folder in folders.Select(f => f.TrimEnd(Path.DirectorySeparatorChar)))
        {
            Assert.DoesNotContain(folder, text, StringComparison.Ordinal);
            Assert.DoesNotContain(JsonSerializer.Serialize(folder).Trim('"'), text, StringComparison.Ordinal);
        }
    }
}
