using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using RnnLm.Engine;
using RnnLm.Engine.IO;
using RnnLm.Engine.Model;

namespace RnnLm.Api.Tests;

/// <summary>
/// The API serving a tiny deterministic model built in code (seeded random weights, a vocabulary from a few dozen
/// synthetic sentences), with small request limits so that the limits are cheap to reach.
/// </summary>
public sealed class RnnLmApplication : WebApplicationFactory<Program>
{
    public const int MaxSentences = 8;
    public const int MaxTokensPerSentence = 32;
    public const int MaxTop = 50;
    public const int MaxGenerateTokens = 30;
    public const int MaxRescoreUtterances = 4;
    public const int MaxHypothesesPerUtterance = 5;
    public const int MaxRescoreTokens = 60;
    public const string ApiKey = "test-key";

    private static readonly string[] Subjects = ["The jury", "The city", "It", "The committee", "Mr. Allen", "The state"];
    private static readonly string[] Verbs = ["said", "found", "reported", "did not find", "recommended"];
    private static readonly string[] Objects = ["that the election was conducted well", "no evidence", "the praise of the city", "a new law", "many problems"];

    private readonly string _folder;
    private readonly bool _ownsFolder;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public RnnLmApplication()
        : this(null)
    {
    }

    /// <summary>An application with extra configuration; with <paramref name="folder"/>, one that serves (and keeps) an existing folder, as after a restart.</summary>
    internal RnnLmApplication(IReadOnlyDictionary<string, string?>? settings, string? folder = null)
    {
        _ownsFolder = folder is null;
        _folder = folder ?? Directory.CreateTempSubdirectory("rnnlm-api-tests-").FullName;
        _settings = settings ?? new Dictionary<string, string?>();
        ModelPath = Path.Combine(_folder, "tiny.rnnlm");
        WriteTinyModel(ModelPath);

        // The engine's own reading of the file the API serves: the reference for agreement tests.
        Model = ModelFile.Load(ModelPath);
    }

    public string ModelPath { get; }

    /// <summary>Writes the tiny model (seeded random weights, so always the same bytes for a seed) and its card.</summary>
    public static void WriteTinyModel(string path, int seed = 1)
    {
        var sentences = Subjects.SelectMany(s => Verbs.Select(v => $"{s} {v} {Objects[(s.Length + v.Length) % Objects.Length]} .".Split(' '))).ToArray();
        var vocabulary = Vocabulary.Build(sentences, minCount: 1);
        var classes = new ClassMap([0, 4, 12], vocabulary.Count);
        var parameters = new Parameters<float>(new ModelShape(vocabulary.Count, 8, 12, OutputKind.Classes, classes.ClassCount));
        parameters.Initialize(seed, scale: 0.5);
        ModelFile.Save(new LanguageModel(vocabulary, classes, parameters), path);
        new ModelCard { Name = "tiny", Architecture = "Elman RNN (sigmoid hidden layer), class-factorized softmax (3 classes)", TrainingData = "synthetic test sentences", ValidPerplexity = 12.5 }
            .Save(ModelCard.PathFor(path));
    }

    /// <summary>The folder holding the model and the data directory (<c>data/</c>).</summary>
    public string Folder => _folder;

    /// <summary>A client that sends the API key.</summary>
    public HttpClient CreateManagementClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public LanguageModel Model { get; }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Posts raw bytes (so that malformed JSON can be sent) with a content type.</summary>
    public static StringContent Body(string json, string contentType = "application/json") => new(json, Encoding.UTF8, contentType);

    public async Task<(HttpResponseMessage Response, JsonElement Json)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json", string? apiKey = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Body(body, contentType) };
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        var response = await CreateClient().SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<JsonElement> GetOkAsync(string path)
    {
        var response = await CreateClient().GetAsync(path);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> PostOkAsync(string path, object body)
    {
        var response = await CreateClient().PostAsJsonAsync(path, body, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RnnLm:ModelPath"] = ModelPath,
            ["RnnLm:MaxSentences"] = $"{MaxSentences}",
            ["RnnLm:MaxTokensPerSentence"] = $"{MaxTokensPerSentence}",
            ["RnnLm:MaxTop"] = $"{MaxTop}",
            ["RnnLm:MaxGenerateTokens"] = $"{MaxGenerateTokens}",
            ["RnnLm:MaxRescoreUtterances"] = $"{MaxRescoreUtterances}",
            ["RnnLm:MaxHypothesesPerUtterance"] = $"{MaxHypothesesPerUtterance}",
            ["RnnLm:MaxRescoreTokens"] = $"{MaxRescoreTokens}",
            ["RnnLm:DataDirectory"] = Path.Combine(_folder, "data"),
            ["RnnLm:ApiKey"] = ApiKey,
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }).AddInMemoryCollection(_settings));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsFolder && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<RnnLmApplication>
{
    public const string Name = "api";
}
