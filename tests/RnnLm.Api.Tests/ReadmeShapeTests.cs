using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RnnLm.Api.Jobs;

namespace RnnLm.Api.Tests;

/// <summary>
/// README's outputs of jobs, the model list and health checks hold ids, timings and figures of a run on other text, so they
/// are checked for their shape: every field they show exists, with the same kind of value, in the answers of a real job run
/// against the shipped model; and every field of the job requests they show is one POST /jobs takes.
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

        var parts = ReadmeExamples.ShapeParts(File.ReadAllText(app.RepositoryFile("README.md"))).ToArray();
        Assert.NotEmpty(parts);
        var shown = parts.SelectMany(part => JsonShape.OfAbridged(ReadmeExamples.Comments(part))).Where(s => s.Path.Length > 0).Distinct().ToArray();
        var sent = parts.SelectMany(part => JsonShape.OfAbridged(ReadmeExamples.RequestBodies(part))).Where(s => s.Path.Length > 0 && !s.Path.Contains('.') && !s.Path.Contains('[')).ToArray();

        Assert.True(shown.Length > 20, $"only {shown.Length} fields read from README's outputs");
        var missing = shown.Where(s => !live.Contains(s)).Select(s => $"{s.Path} ({s.Kind})").ToArray();
        Assert.True(missing.Length == 0, $"README shows fields the answers do not have: {string.Join(", ", missing)}");
        Assert.NotEmpty(sent);
        var unknown = sent.Select(s => s.Path).Where(field => !jobFields.Contains(field)).ToArray();
        Assert.True(unknown.Length == 0, $"README sends fields POST /jobs does not take: {string.Join(", ", unknown)}");
    }
}
