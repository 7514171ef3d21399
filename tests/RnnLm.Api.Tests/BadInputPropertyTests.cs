using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using RnnLm.Api.Tests.BadInput;
using Xunit.Abstractions;

namespace RnnLm.Api.Tests;

/// <summary>
/// Generated requests for every operation of the OpenAPI document the service serves: near-valid ones from the schemas
/// and examples, broken by up to three mutations each (wrong types, extreme numbers, control characters and invalid UTF-8,
/// deep nesting, repeats, unknown fields and parameters, huge sizes, odd headers and content types, broken multipart
/// framing). Each answer must be a documented success or a 4xx problem details document, never a 5xx; every few hundred
/// cases and at the end the service must still score a fixed sentence exactly as it did before.
/// The requests go through the test server, not Kestrel: Kestrel's own limits and its 400s are tested elsewhere.
/// </summary>
public sealed class BadInputPropertyTests(ITestOutputHelper output)
{
    /// <summary>The default seed, fixed so that a CI run is reproducible; RNNLM_PROPERTY_SEED picks another.</summary>
    private const int DefaultSeed = 11;
    private const int DefaultCases = 3000;
    private const int CheckEvery = 250;
    private const int MaxBodyBytes = 32 * 1024;
    private const int MaxTrainingBytes = 128 * 1024;
    private const string ScoredSentence = """{"text": "The jury said no evidence. It found a new law."}""";

    [Fact]
    public async Task EveryOperationAnswersGeneratedBadInputWithADocumentedSuccessOrA4xxProblemAndKeepsAnsweringCorrectly()
    {
        var seed = FromEnvironment("RNNLM_PROPERTY_SEED", DefaultSeed);
        var cases = FromEnvironment("RNNLM_PROPERTY_CASES", DefaultCases);
        var brown = Directory.CreateTempSubdirectory("rnnlm-property-brown-").FullName;
        try
        {
            await File.WriteAllLinesAsync(Path.Combine(brown, "train.txt"), JobKit.Corpus(200, 1));
            await File.WriteAllLinesAsync(Path.Combine(brown, "valid.txt"), JobKit.Corpus(40, 2));
            using var app = new RnnLmApplication(Settings(brown));
            PlantTruncatedModel(app);
            var run = await PropertyRun.StartAsync(app, seed, ServerPaths(app, brown));
            var clock = Stopwatch.StartNew();
            await run.RunAsync(cases, CheckEvery);
            output.WriteLine($"Seed {seed}, {cases:N0} cases in {clock.Elapsed.TotalSeconds:0.0} s ({run.Unsent} the client would not send).");
            output.WriteLine(run.Statistics());
            Assert.True(run.Failures.Count == 0, run.Failures.Report(seed, cases));
        }
        finally
        {
            Directory.Delete(brown, recursive: true);
        }
    }

    // Small body limits, so that bodies just over them are cheap; a built-in corpus of a few hundred sentences; jobs cut
    // off after about a second, so that what a generated job asks for cannot keep a core busy.
    private static Dictionary<string, string?> Settings(string brown) => new()
    {
        ["RnnLm:MaxBodyBytes"] = $"{MaxBodyBytes}",
        ["RnnLm:MaxTrainingBytes"] = $"{MaxTrainingBytes}",
        ["RnnLm:BrownDirectory"] = brown,
        ["RnnLm:MaxJobMinutes"] = "0.02",
        ["RnnLm:MaxQueuedJobs"] = "4",
    };

    // A trained model cut in half, as a full disk or a crash can leave one: every request that names it must still get a
    // clear answer. Planted again at each check, since a generated DELETE may remove it.
    private static void PlantTruncatedModel(RnnLmApplication app)
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(app.Folder, "data", "models")).FullName, "truncated.rnnlm");
        if (!File.Exists(path))
        {
            var bytes = File.ReadAllBytes(app.ModelPath);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        }
    }

    // Folders no answer may name: the test's own, the repository's, the temporary one.
    private static string[] ServerPaths(RnnLmApplication app, string brown)
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "RnnLm.Api.sln")))
        {
            repository = repository.Parent;
        }

        return [.. new[] { app.Folder, brown, repository?.FullName, Path.GetTempPath().TrimEnd('/') + "/" }.OfType<string>().Distinct()];
    }

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>One run: the generator, what the service answered so far, the failures, and the reference answers it must keep giving.</summary>
    private sealed class PropertyRun
    {
        private readonly RequestGenerator _generator;
        private readonly CaseSender _sender;
        private readonly RnnLmApplication _app;
        private readonly HttpClient _client;
        private readonly IReadOnlyList<string> _serverPaths;
        private readonly Random _random;
        private readonly List<string> _knownIds;
        private int _pinned = 1;
        private readonly Dictionary<string, SortedDictionary<int, int>> _statuses = new(StringComparer.Ordinal);
        private readonly Dictionary<string, SortedDictionary<int, int>> _mutations = new(StringComparer.Ordinal);
        private readonly string _shippedId;
        private readonly string _score;
        private readonly string _next;

        private PropertyRun(RnnLmApplication app, HttpClient client, ApiDocument document, IReadOnlyList<string> serverPaths, int seed, string shippedId, string score, string next)
        {
            _app = app;
            _client = client;
            _generator = new RequestGenerator(document, RnnLmApplication.ApiKey, [MaxBodyBytes, MaxTrainingBytes]);
            _sender = new CaseSender(client, TimeSpan.FromSeconds(30));
            _serverPaths = serverPaths;
            _random = new Random(seed);
            _shippedId = shippedId;
            _knownIds = [shippedId];
            _score = score;
            _next = next;
            Failures = new FailureLog(ReplayAsync);
        }

        public FailureLog Failures { get; }

        public int Unsent { get; private set; }

        /// <summary>Reads the document the service serves and the reference answers of the shipped model.</summary>
        public static async Task<PropertyRun> StartAsync(RnnLmApplication app, int seed, IReadOnlyList<string> serverPaths)
        {
            var client = app.CreateClient();
            var document = new ApiDocument(JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json")).RootElement.Clone());
            Assert.NotEmpty(document.Operations);
            var shippedId = JsonDocument.Parse(await client.GetStringAsync("/model")).RootElement.GetProperty("id").GetString()!;
            var (score, next, ready) = await ReferenceAnswersAsync(client, shippedId);
            Assert.True(score.Status == HttpStatusCode.OK && next.Status == HttpStatusCode.OK && ready.Status == HttpStatusCode.OK, $"before the run: {score} {next} {ready}");
            var run = new PropertyRun(app, client, document, serverPaths, seed, shippedId, score.Body, next.Body);

            // The ids the listings name from the start (the planted model's among them), not only once a case has listed them.
            foreach (var listing in document.Operations.Where(o => o.Method == "GET" && o.Parameters.Count == 0))
            {
                var response = await client.GetAsync(listing.PathTemplate);
                run.Learn(CaseSender.Ids(new Observed((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(), null)));
            }

            run._pinned = run._knownIds.Count;
            return run;
        }

        public async Task RunAsync(int cases, int checkEvery)
        {
            for (var i = 1; i <= cases; i++)
            {
                var plan = _generator.Plan(_random, _knownIds);
                var request = _generator.Build(plan);
                if (await _sender.SendAsync(request) is not { } answer)
                {
                    Unsent++;
                    continue;
                }

                Count(request, answer);
                Learn(CaseSender.Ids(answer));
                if (ResponseProperty.Check(request, answer, _serverPaths) is { } violation)
                {
                    await Failures.AddAsync(i, plan, request, answer, violation);
                }

                if (i % checkEvery == 0 || i == cases)
                {
                    await CheckServiceAsync(i);
                }
            }
        }

        /// <summary>Answers per operation and per mutation, by status: which paths the generated cases reached.</summary>
        public string Statistics() => string.Join('\n', _statuses.Concat(_mutations).Select(s => $"{s.Key}: {string.Join(", ", s.Value.Select(v => $"{v.Key}×{v.Value}"))}"));

        private async Task<Replay> ReplayAsync(CasePlan plan)
        {
            var request = _generator.Build(plan);
            var answer = await _sender.SendAsync(request);
            return new Replay(request, answer, answer is null ? null : ResponseProperty.Check(request, answer, _serverPaths));
        }

        // The shipped model still gives exactly the figures it gave before the run, and the service says it is ready.
        private async Task CheckServiceAsync(int afterCase)
        {
            PlantTruncatedModel(_app);
            var (score, next, ready) = await ReferenceAnswersAsync(_client, _shippedId);
            if (score.Body != _score)
            {
                Failures.AddServiceFailure(afterCase, "POST /score with the shipped model gives other figures", $"after case #{afterCase}: {score.Status} {ResponseProperty.Excerpt(score.Body)}");
            }

            if (next.Body != _next)
            {
                Failures.AddServiceFailure(afterCase, "GET /next with the shipped model gives other figures", $"after case #{afterCase}: {next.Status} {ResponseProperty.Excerpt(next.Body)}");
            }

            if (ready.Status != HttpStatusCode.OK || !ready.Body.Contains("\"status\":\"Healthy\"", StringComparison.Ordinal))
            {
                Failures.AddServiceFailure(afterCase, "/health/ready is not healthy", $"after case #{afterCase}: {ready.Status} {ResponseProperty.Excerpt(ready.Body)}");
            }
        }

        private static async Task<((HttpStatusCode Status, string Body) Score, (HttpStatusCode Status, string Body) Next, (HttpStatusCode Status, string Body) Ready)> ReferenceAnswersAsync(HttpClient client, string modelId)
        {
            var model = Uri.EscapeDataString(modelId);
            using var scoreBody = new StringContent(ScoredSentence, Encoding.UTF8, "application/json");
            var score = await client.PostAsync($"/score?model={model}", scoreBody);
            var next = await client.GetAsync($"/next?model={model}&prefix=The%20jury&top=5&word=said");
            var ready = await client.GetAsync("/health/ready");
            return ((score.StatusCode, await score.Content.ReadAsStringAsync()), (next.StatusCode, await next.Content.ReadAsStringAsync()), (ready.StatusCode, await ready.Content.ReadAsStringAsync()));
        }

        private void Count(HttpCase request, Observed answer)
        {
            Tally(_statuses, request.Operation.Name);
            foreach (var kind in request.MutationKinds.DefaultIfEmpty("(no mutation)"))
            {
                Tally(_mutations, kind);
            }

            void Tally(Dictionary<string, SortedDictionary<int, int>> table, string key)
            {
                if (!table.TryGetValue(key, out var counts))
                {
                    table[key] = counts = [];
                }

                counts[answer.Status] = counts.GetValueOrDefault(answer.Status) + 1;
            }
        }

        // Ids the service answered with, near-valid values for parameters: the shipped model's first, then those the listings
        // named at the start (kept for the whole run), then the most recent others.
        private void Learn(IEnumerable<string> ids)
        {
            foreach (var id in ids.Where(id => !_knownIds.Contains(id)))
            {
                _knownIds.Add(id);
                if (_knownIds.Count > _pinned + 40)
                {
                    _knownIds.RemoveAt(_pinned);
                }
            }
        }
    }
}
