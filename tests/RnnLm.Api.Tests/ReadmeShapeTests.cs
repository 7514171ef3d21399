using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RnnLm.Api.Jobs;

namespace RnnLm.Api.Tests;

/// <summary>
/// The documentation's (README.md and docs/*.md, <see cref="RepositoryDocs"/>) outputs of jobs, the model list and health
/// checks hold ids, timings and figures of a run on other text, so they are checked for their shape: every field they show
/// exists, with the same kind of value, in the answers of a real job run against the shipped model; and every field of the job
/// requests they show is one POST /jobs takes. And every relative link between the pages leads somewhere.
/// </summary>
public sealed class ReadmeShapeTests
{
    [Fact]
    public async Task ReadmesJobModelAndHealthOutputsHaveTheShapeOfRealAnswers()
    {
        using var app = new ShippedModelApplication();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ShippedModelApplication.ApiKey);
        var json = app.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var submitted = await client.PostAsJsonAsync("/jobs", JobRequest.Example with { Promote = PromotionMode.IfBetter }, json);
        var queued = await submitted.Content.ReadFromJsonAsync<JsonNode>();
        Assert.True(submitted.IsSuccessStatusCode, $"{submitted.StatusCode}: {queued}");
        var ended = await JobKit.WaitForEndAsync(client, queued!["id"]!.GetValue<string>());
        Assert.Equal("succeeded", JobKit.Status(ended));
        var live = new[] { queued, JsonNode.Parse(ended.GetRawText()), await client.GetFromJsonAsync<JsonNode>("/models"), await client.GetFromJsonAsync<JsonNode>("/health/ready") }
            .SelectMany(answer => JsonShape.Of(answer)).ToHashSet();
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var jobFields = document["components"]!["schemas"]!["JobRequest"]!["properties"]!.AsObject().Select(p => p.Key).ToHashSet();

        var parts = RepositoryDocs.Files.SelectMany(file => ReadmeExamples.ShapeParts(File.ReadAllText(file))).ToArray();
        Assert.NotEmpty(parts);
        var shown = parts.SelectMany(part => JsonShape.OfAbridged(ReadmeExamples.Comments(part))).Where(s => s.Path.Length > 0).Distinct().ToArray();
        var sent = parts.SelectMany(part => JsonShape.OfAbridged(ReadmeExamples.RequestBodies(part))).Where(s => s.Path.Length > 0 && !s.Path.Contains('.') && !s.Path.Contains('[')).ToArray();

        Assert.True(shown.Length > 20, $"only {shown.Length} fields read from the docs' outputs");
        var missing = shown.Where(s => !live.Contains(s)).Select(s => $"{s.Path} ({s.Kind})").ToArray();
        Assert.True(missing.Length == 0, $"The docs show fields the answers do not have: {string.Join(", ", missing)}");
        Assert.NotEmpty(sent);
        var unknown = sent.Select(s => s.Path).Where(field => !jobFields.Contains(field)).ToArray();
        Assert.True(unknown.Length == 0, $"The docs send fields POST /jobs does not take: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void EveryRelativeLinkAndAnchorInTheDocsResolves()
    {
        var pages = RepositoryDocs.AllMarkdown().ToArray();
        Assert.Contains(Path.Combine(RepositoryDocs.Root, "README.md"), pages);
        Assert.All(RepositoryDocs.Files, file => Assert.Contains(file, pages));
        Assert.True(RepositoryDocs.Files.Sum(file => RepositoryDocs.LinkTargets(File.ReadAllText(file)).Count()) > 20, "hardly a link read: the link reader is broken");
        var broken = pages.SelectMany(RepositoryDocs.BrokenLinks).ToArray();
        Assert.True(broken.Length == 0, $"Links that lead nowhere:\n{string.Join('\n', broken)}");
    }

    [Fact]
    public void TheLinkCheckerFindsAMissingPageAndAMissingHeading()
    {
        var folder = Directory.CreateTempSubdirectory("rnnlm-docs-").FullName;
        try
        {
            var page = Path.Combine(folder, "a.md");
            File.WriteAllText(Path.Combine(folder, "b.md"), "# B\n\n## Two words (`x`, `--y`)\n\n```bash\n# not a heading\n```\n## Two words (`x`, `--y`)\n");
            File.WriteAllText(page, "# A\n[ok](b.md#two-words-x---y) [again](b.md#two-words-x---y-1) [self](#a) `[code](nowhere.md)`\n"
                + "[gone](c.md) [no heading](b.md#not-a-heading) [web](https://example.org/x.md#y)\n```\n[in a block](d.md)\n```\n");
            var broken = RepositoryDocs.BrokenLinks(page).ToArray();
            Assert.Equal(2, broken.Length);
            Assert.Contains(broken, b => b.Contains("c.md: no such file", StringComparison.Ordinal));
            Assert.Contains(broken, b => b.Contains("b.md#not-a-heading: no such heading", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
