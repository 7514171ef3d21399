using System.Net;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ModelTests(RnnLmApplication app)
{
    [Fact]
    public async Task GetModelDescribesTheActiveModelAndItsCard()
    {
        var json = await app.GetOkAsync("/model");

        Assert.Equal("tiny", json.GetProperty("id").GetString());
        Assert.Equal("tiny.rnnlm", json.GetProperty("file").GetString());
        Assert.Equal(ModelCard.HashFile(app.ModelPath), json.GetProperty("sha256").GetString());
        Assert.Equal(app.Model.Vocabulary.Count, json.GetProperty("vocabularySize").GetInt32());
        Assert.Equal(12, json.GetProperty("hidden").GetInt32());
        Assert.Equal(8, json.GetProperty("embedding").GetInt32());
        Assert.Equal("classes", json.GetProperty("output").GetString());
        Assert.Equal(3, json.GetProperty("classes").GetInt32());
        Assert.Equal(app.Model.Shape.ParameterCount, json.GetProperty("parameters").GetInt64());
        Assert.Equal("synthetic test sentences", json.GetProperty("trainingData").GetString());
        Assert.Equal(12.5, json.GetProperty("validPerplexity").GetDouble());
        Assert.Equal("tiny", json.GetProperty("card").GetProperty("name").GetString());
    }

    [Fact]
    public async Task TheServiceIsLiveAndReadyOnceTheModelIsLoaded()
    {
        var client = app.CreateClient();

        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"Healthy\"", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsCountRequestsPerEndpoint()
    {
        await app.GetOkAsync("/next?prefix=It");

        var metrics = await app.CreateClient().GetStringAsync("/metrics");

        Assert.Contains("http_requests_received_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("endpoint=\"/next\"", metrics, StringComparison.Ordinal);
        Assert.Contains("rnnlm_tokens_scored_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public void ARelativeModelPathIsFoundInAFolderAboveTheContentRoot()
    {
        var root = Directory.CreateTempSubdirectory("rnnlm-resolve-").FullName;
        try
        {
            var contentRoot = Directory.CreateDirectory(Path.Combine(root, "src", "RnnLm.Api")).FullName;
            Directory.CreateDirectory(Path.Combine(root, "models"));
            File.WriteAllText(Path.Combine(root, "models", "m.rnnlm"), "");

            Assert.Equal(Path.Combine(root, "models", "m.rnnlm"), RnnLmOptionsSetup.Resolve("models/m.rnnlm", contentRoot));
            Assert.Equal(Path.Combine(contentRoot, "models", "other.rnnlm"), RnnLmOptionsSetup.Resolve("models/other.rnnlm", contentRoot));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
