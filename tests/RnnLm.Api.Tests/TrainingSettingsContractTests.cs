using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RnnLm.Engine.Training;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>The jobs API's training settings are the engine's catalog: its schema, its defaults and its 400s follow a change there.</summary>
public class TrainingSettingsContractTests
{
    private static readonly TrainingSettings Changed = TrainingSettings.Standard
        .With(new NumberSetting<int>("hidden", "Dh, the hidden layer's width", o => o.Hidden, (o, v) => o with { Hidden = v }, 2, 77))
        .WithDefaults(TrainingSettings.Standard.Defaults with { Hidden = 9, Embedding = 9, Streams = 3, MaxEpochs = 2 });

    [Fact]
    public async Task ADefaultAndALimitChangedInTheCatalogShowUpInTheSchemaInA400AndInTheJobsSettings()
    {
        using var app = new RnnLmApplication();
        using var changed = app.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton(Changed)));
        var client = changed.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", RnnLmApplication.ApiKey);

        var document = await client.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");
        var hidden = document.GetProperty("components").GetProperty("schemas").GetProperty("JobRequest").GetProperty("properties").GetProperty("hidden");
        Assert.Equal((2, 77, 9), (hidden.GetProperty("minimum").GetInt32(), hidden.GetProperty("maximum").GetInt32(), hidden.GetProperty("default").GetInt32()));
        Assert.Equal("Dh, the hidden layer's width; from 2 to 77.", hidden.GetProperty("description").GetString());

        var (response, problem) = await SubmitAsync(client, With(QuickJob(), ("hidden", 78), ("embedding", null)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["Must be from 2 to 77; got 78."], problem.GetProperty("errors").GetProperty("hidden").EnumerateArray().Select(e => e.GetString()));

        var id = await SubmitOkAsync(client, With(QuickJob(), ("hidden", null), ("embedding", null), ("streams", null), ("maxEpochs", null)));
        var settings = (await GetJobAsync(client, id)).GetProperty("settings");
        Assert.Equal((9, 9, 3, 2), (settings.GetProperty("hidden").GetInt32(), settings.GetProperty("embedding").GetInt32(), settings.GetProperty("streams").GetInt32(), settings.GetProperty("maxEpochs").GetInt32()));
    }

    [Fact]
    public async Task EverySettingOfTheCatalogIsInTheRequestAndResponseSchemasWithItsLimits()
    {
        using var app = new RnnLmApplication();
        var schemas = (await app.CreateClient().GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json")).GetProperty("components").GetProperty("schemas");
        foreach (var setting in TrainingSettings.Standard.All)
        {
            var request = schemas.GetProperty("JobRequest").GetProperty("properties").GetProperty(setting.Name);
            // Descriptions show <unk> as code (`<unk>`) so that Swagger UI does not take it for HTML.
            Assert.StartsWith(setting.Description, request.GetProperty("description").GetString()!.Replace("`", "", StringComparison.Ordinal));
            if (setting.Maximum is { } max)
            {
                Assert.Equal(max, request.GetProperty("maximum").GetDouble());
            }

            var response = schemas.GetProperty("JobResponse").GetProperty("properties").GetProperty("settings");
            Assert.True(response.GetProperty("properties").TryGetProperty(setting.Name, out _), setting.Name);
            Assert.Contains(setting.Name, response.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        }

        Assert.False(schemas.GetProperty("JobRequest").GetProperty("additionalProperties").GetBoolean());
    }

    [Theory]
    [InlineData("hidden", "\"5\"", "Must be a whole number, from 1 to 1024.")]
    [InlineData("hidden", "1e10", "Must be a whole number, from 1 to 1024.")]
    [InlineData("alpha", "true", "Must be a number, greater than 0 and at most 10.")]
    [InlineData("output", "\"fancy\"", "Must be one of \"full\", \"classes\" or \"tree\".")]
    [InlineData("cell", "\"rnn\"", "Must be one of \"sigmoid\", \"gru\" or \"lstm\".")]
    [InlineData("optimizer", "\"adam\"", "Must be one of \"sgd\" or \"adagrad\".")]
    [InlineData("dropout", "\"0.2\"", "Must be a number, from 0 to 0.9.")]
    [InlineData("shuffle", "1", "Must be true or false.")]
    [InlineData("hiden", "5", "Is not a known field.")]
    public async Task ASettingOfTheWrongTypeOrAnUnknownOneIsNamedWithWhatItMustBe(string field, string json, string message)
    {
        using var app = new RnnLmApplication();
        var body = $$"""{"corpus": "brown", "{{field}}": {{json}}}""";
        var response = await app.CreateManagementClient().PostAsync("/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, problem.ToString());
        Assert.Equal([message], problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("gru", "RNN with a GRU hidden layer, class-factorized softmax (4 classes)")]
    [InlineData("lstm", "RNN with an LSTM hidden layer (no peepholes), class-factorized softmax (4 classes)")]
    public async Task AJobTrainsTheCellItNamesAndItsModelServes(string cell, string architecture)
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, With(QuickJob(cell), ("cell", cell)));
        var job = await WaitForEndAsync(client, id);
        Assert.True(Status(job) == "succeeded", job.ToString());
        Assert.Equal(cell, job.GetProperty("settings").GetProperty("cell").GetString());

        var card = (await client.GetFromJsonAsync<JsonElement>($"/models/{id}")).GetProperty("card");
        Assert.Equal(architecture, card.GetProperty("architecture").GetString());
        var model = RnnLm.Engine.IO.ModelFile.Load(Path.Combine(app.Folder, "data", "models", id + ".rnnlm"));
        Assert.Equal(cell, model.Shape.Cell.ToString().ToLowerInvariant());
        var next = await client.GetFromJsonAsync<JsonElement>($"/next?prefix=the&top=3&model={id}");
        var expected = model.Next(["the"], 3).Candidates.Select(c => c.Token);
        Assert.Equal(expected, next.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("token").GetString()));
    }

    [Fact]
    public async Task AJobTrainsWithTheOptimiserClippingAndDropoutItNames()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, With(QuickJob("adagrad"), ("cell", "lstm"), ("optimizer", "adagrad"), ("clipNorm", 5.0), ("dropout", 0.25)));
        var job = await WaitForEndAsync(client, id);
        Assert.True(Status(job) == "succeeded", job.ToString());
        var settings = job.GetProperty("settings");
        Assert.Equal(("adagrad", 5.0, 0.25), (settings.GetProperty("optimizer").GetString(), settings.GetProperty("clipNorm").GetDouble(), settings.GetProperty("dropout").GetDouble()));
        var card = (await client.GetFromJsonAsync<JsonElement>($"/models/{id}")).GetProperty("card").GetProperty("hyperparameters");
        Assert.Equal(("adagrad", 5.0, 0.25), (card.GetProperty("optimizer").GetString(), card.GetProperty("clipNorm").GetDouble(), card.GetProperty("dropout").GetDouble()));
    }

    [Fact]
    public async Task AHogwildJobTrainsOnTwoThreadsAndItsCardSaysSo()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, With(QuickJob("hogwild"), ("threads", 2), ("hogwild", true)));
        var job = await WaitForEndAsync(client, id);
        Assert.True(Status(job) == "succeeded", job.ToString());
        Assert.True(job.GetProperty("settings").GetProperty("hogwild").GetBoolean());
        var card = (await client.GetFromJsonAsync<JsonElement>($"/models/{id}")).GetProperty("card").GetProperty("hyperparameters");
        Assert.True(card.GetProperty("hogwild").GetBoolean());
    }

    [Fact]
    public async Task APresetGivesItsRecipeAndTheSettingsSentApplyOnTopOfIt()
    {
        using var app = new RnnLmApplication();
        var client = app.CreateManagementClient();
        var id = await SubmitOkAsync(client, With(QuickJob(), ("preset", "rnnlm"), ("streams", null), ("alpha", null), ("seed", 5)));
        var settings = (await GetJobAsync(client, id)).GetProperty("settings");
        var expected = TrainingPresets.Rnnlm;
        Assert.Equal((expected.Streams, expected.Alpha, expected.MinImprovement, expected.Shuffle, 5), (settings.GetProperty("streams").GetInt32(), settings.GetProperty("alpha").GetDouble(),
            settings.GetProperty("minImprovement").GetDouble(), settings.GetProperty("shuffle").GetBoolean(), settings.GetProperty("seed").GetInt32()));

        var (response, problem) = await SubmitAsync(client, With(QuickJob(), ("preset", "fastest")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("rnnlm", problem.GetProperty("errors").GetProperty("preset")[0].GetString());
    }
}
