using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RnnLm.Engine;
using RnnLm.Engine.IO;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

public sealed class HotSwapTests
{
    /// <summary>
    /// Clients hammer /score and /next while the active model flips between two models dozens of times. Every request must
    /// succeed, and each answer must be exactly what the model it names gives: a request that started on one model and
    /// finished on the other would not match either.
    /// </summary>
    [Fact]
    public async Task SwappingModelsUnderLoadFailsNoRequestAndNeverMixesModels()
    {
        using var app = new RnnLmApplication();
        var management = app.CreateManagementClient();
        var trained = await SubmitOkAsync(management, QuickJob("swap"));
        Assert.Equal("succeeded", Status(await WaitForEndAsync(management, trained)));
        var engines = new Dictionary<string, LanguageModel>
        {
            ["tiny"] = app.Model,
            [trained] = ModelFile.Load(Path.Combine(app.Folder, "data", "models", trained + ".rnnlm")),
        };
        string[] sentence = ["the", "cat", "sees", "it", "."];
        var expected = engines.ToDictionary(e => e.Key, e => e.Value.Score(sentence).LogProb);

        var failures = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<string, int>();
        var requests = 0;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var client = app.CreateClient();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                Interlocked.Increment(ref requests);
                var score = i % 2 == 0;
                var response = score
                    ? await client.PostAsJsonAsync("/score", new { tokens = new[] { sentence } })
                    : await client.GetAsync("/next?prefix=the%20cat&top=5&word=sees");
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode} {text}");
                    continue;
                }

                var json = JsonDocument.Parse(text).RootElement;
                var model = json.GetProperty("model").GetString()!;
                seen.AddOrUpdate(model, 1, (_, n) => n + 1);
                if (!engines.TryGetValue(model, out var engine))
                {
                    failures.Enqueue($"unknown model {model}");
                }
                else if (score && Math.Abs(json.GetProperty("logProb").GetDouble() - expected[model]) > 1e-9)
                {
                    failures.Enqueue($"/score says {model} but its log-probability is {json.GetProperty("logProb").GetDouble()}, not {expected[model]}");
                }
                else if (!score && Math.Abs(json.GetProperty("word").GetProperty("logProb").GetDouble() - engine.Score(["the", "cat", "sees"]).Tokens[2].LogProb) > 1e-9)
                {
                    failures.Enqueue($"/next says {model} but its probability of 'sees' is another model's");
                }
            }
        })).ToArray();

        var swaps = 0;
        var clock = Stopwatch.StartNew();
        while (swaps < 40 || clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            var target = swaps % 2 == 0 ? trained : "tiny";
            var activation = await management.PostAsync($"/models/{target}/activate", null);
            Assert.Equal(HttpStatusCode.OK, activation.StatusCode);
            swaps++;
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests} requests went wrong, e.g. {failures.FirstOrDefault()}");
        Assert.True(requests > 100, $"only {requests} requests");
        Assert.Equal(2, seen.Count);
    }
}
