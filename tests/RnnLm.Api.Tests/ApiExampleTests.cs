using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RnnLm.Api.Infrastructure;
using RnnLm.Engine.Data;
using RnnLm.Engine.IO;

namespace RnnLm.Api.Tests;

/// <summary>Every example request the endpoints declare, sent once to the API serving the shipped model.</summary>
public sealed class ApiExampleRun : IAsyncLifetime
{
    public ShippedModelApplication App { get; } = new();

    internal IReadOnlyList<SentExample> Examples { get; private set; } = [];

    /// <summary>The answers as they would be stored now: live figures, stored timestamps and trace ids.</summary>
    internal IReadOnlyList<KeyValuePair<string, ApiExampleAnswer>> Answers { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Examples = ApiExampleKit.Examples(App.Services);
        var client = App.CreateClient();
        var answers = new List<KeyValuePair<string, ApiExampleAnswer>>();
        foreach (var example in Examples)
        {
            var live = await ApiExampleKit.SendAsync(client, example, ShippedModelApplication.ApiKey);
            var stored = ApiExampleSetup.StoredAnswers.GetValueOrDefault(example.Key);
            answers.Add(KeyValuePair.Create(example.Key, live with { Body = ApiExampleKit.Settle(live.Body, stored?.Body) }));
        }

        Answers = answers;
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The docs' (README.md and docs/*.md) and the OpenAPI document's examples are what the shipped model answers: each example
/// request is declared once on its endpoint (<see cref="ApiExample"/>), its answer stored in
/// src/RnnLm.Api/Infrastructure/ApiExamples/{Tag}.json by its endpoint's OpenAPI tag, and these tests fail when an answer, the
/// document or the docs drift. RNNLM_UPDATE_EXAMPLES=1 rewrites the answers files and the docs.
/// </summary>
public sealed class ApiExampleTests(ApiExampleRun run) : IClassFixture<ApiExampleRun>
{
    [Fact]
    public void EveryExampleRequestIsAnsweredByTheShippedModelExactlyAsStored()
    {
        Assert.NotEmpty(run.Examples);
        foreach (var example in run.Examples.Where(e => e.Example.Name is null))
        {
            var status = run.Answers.Single(a => a.Key == example.Key).Value.Status;
            Assert.True(status is >= 200 and < 300, $"{example.Method} {example.Target}, the example request of {example.Key}, answers {status}");
        }

        // One file per tag, each holding the answers of its endpoints' examples.
        var folder = Path.Combine(run.App.ContentRoot, ApiExampleSetup.AnswersSource);
        var tags = run.Examples.Select(e => e.Tag).Distinct().ToArray();
        foreach (var tag in tags)
        {
            var answers = run.Answers.Where(a => run.Examples.Single(e => e.Key == a.Key).Tag == tag);
            ApiExampleKit.CheckOrWrite(Path.Combine(folder, $"{tag}.json"), ApiExampleKit.FileText(answers), "A stored answer", ApiExampleKit.SortedFileText);
        }

        foreach (var stale in Directory.GetFiles(folder, "*.json").Where(f => !tags.Contains(Path.GetFileNameWithoutExtension(f))))
        {
            if (ApiExampleKit.Updating)
            {
                File.Delete(stale);
                continue;
            }

            Assert.Fail($"{stale} holds answers of no endpoint's tag: its tag's endpoints declare no example any more, or were renamed. Rewrite the answers with: {ApiExampleKit.UpdateVariable}=1");
        }

        if (!ApiExampleKit.Updating)
        {
            // What the build embedded (and the document shows) is the files just checked.
            Assert.Equal(ApiExampleKit.SortedText(run.Answers), ApiExampleKit.SortedText(ApiExampleSetup.StoredAnswers));
        }
    }

    [Fact]
    public void AnAnswerStoredInTwoTagFilesIsRefused()
    {
        var answer = new JsonObject { ["status"] = 200, ["body"] = new JsonObject { ["tokens"] = 3 } };
        var files = new[]
        {
            KeyValuePair.Create("ApiExamples/Scoring.json", new JsonObject { ["Score"] = answer.DeepClone() }),
            KeyValuePair.Create("ApiExamples/Text.json", new JsonObject { ["Tokenize"] = answer.DeepClone(), ["Score"] = answer.DeepClone() }),
        };

        var error = Assert.Throws<InvalidOperationException>(() => ApiExampleSetup.MergeAnswers(files));
        Assert.Contains("Score", error.Message);
        Assert.Contains("ApiExamples/Scoring.json", error.Message);
        Assert.Contains("ApiExamples/Text.json", error.Message);
        Assert.Equal(2, ApiExampleSetup.MergeAnswers(files.Take(1).Append(KeyValuePair.Create("ApiExamples/Text.json", new JsonObject { ["Tokenize"] = answer.DeepClone() }))).Count);
    }

    [Fact]
    public async Task TheOpenApiDocumentShowsEachExampleRequestAndItsStoredAnswer()
    {
        if (ApiExampleKit.Updating)
        {
            return; // the build holds the answers as they were; the next build embeds the rewritten ones
        }

        var document = JsonNode.Parse(await run.App.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        foreach (var example in run.Examples)
        {
            var operation = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject())
                .Single(o => o.Value!["operationId"]!.GetValue<string>() == example.Key.Split('/')[0]).Value!;
            if (example.Example.Name is null)
            {
                foreach (var (name, value) in example.Example.Parameters)
                {
                    var parameter = operation["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!;
                    Assert.Equal(Convert.ToString(value, CultureInfo.InvariantCulture), parameter["example"]!.ToString());
                }

                Assert.Equal(ApiExampleKit.Text(example.Body), ApiExampleKit.Text(operation["requestBody"]?["content"]?["application/json"]?["example"]));
            }

            var stored = ApiExampleSetup.StoredAnswers[example.Key];
            if (stored.Body is null)
            {
                continue; // an answer without a body (204) has no example to show
            }

            var media = operation["responses"]![stored.Status.ToString(CultureInfo.InvariantCulture)]!["content"]!.AsObject().Single().Value!;
            Assert.Equal(ApiExampleKit.Text(stored.Body), ApiExampleKit.Text(media["examples"]?[example.Example.Name ?? "shippedModel"]?["value"]));
        }
    }

    [Fact]
    public void TheDocsShowEachExampleRequestAndItsAnswer()
    {
        var answers = ApiExampleKit.Updating ? run.Answers.ToDictionary() : ApiExampleSetup.StoredAnswers;
        var shown = new List<string>();
        foreach (var file in RepositoryDocs.Files)
        {
            var text = File.ReadAllText(file);
            var keys = ReadmeExamples.Generated(text).Keys.Where(key => key != EvalKey).ToArray();
            Assert.All(keys, key => Assert.Contains(key, run.Examples.Select(e => e.Key)));
            shown.AddRange(keys);
            ApiExampleKit.CheckOrWrite(
                file,
                ReadmeExamples.Rewrite(text, key => key == EvalKey ? ReadmeExamples.Generated(text)[key] : ReadmeExamples.Render(run.Examples.Single(e => e.Key == key), answers[key].Body)),
                "An example");
        }

        Assert.NotEmpty(shown);
        Assert.Equal(shown.Count, shown.Distinct().Count());
    }

    [Fact]
    public void TheDocsGiveTheShippedModelsPerplexityOnTheBrownTestSetAsEvalComputesIt()
    {
        var model = ModelFile.Load(run.App.RepositoryFile("models/brown-default.rnnlm"));
        var score = model.ScoreCorpus([.. TextCorpus.Read(run.App.RepositoryFile("data/brown/test.txt"))], Environment.ProcessorCount);
        var page = Assert.Single(RepositoryDocs.Files, file => ReadmeExamples.Generated(File.ReadAllText(file)).ContainsKey(EvalKey));
        var text = File.ReadAllText(page);

        var figure = ApiExampleKit.Invariant($"perplexity **{score.Perplexity:F2}** over {score.Tokens:N0} tokens ({score.Sentences:N0} sentences, {score.UnknownTokens:N0} `<unk>`)");
        ApiExampleKit.CheckOrWrite(page, ReadmeExamples.Rewrite(text, key => key == EvalKey ? figure : ReadmeExamples.Generated(text)[key]), "The eval figure");
    }

    /// <summary>The key of the docs' phrase that `rnnlm eval --json` on the Brown test set gives.</summary>
    private const string EvalKey = "rnnlm eval";
}
