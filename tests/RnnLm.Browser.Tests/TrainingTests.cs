using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OpenQA.Selenium;

namespace RnnLm.Browser.Tests;

/// <summary>The Train view: jobs started from pasted text or an uploaded file, followed through their event stream to their model in Models, and cancelled.</summary>
[Collection(PlaygroundCollection.Name)]
public sealed class TrainingTests(Playground page)
{
    private static readonly string[] Sentences =
    [
        "the cat sat on the mat .", "the dog sat on the log .", "a cat saw a dog .", "the dog saw the cat on the mat .",
        "a dog sat on a mat .", "the cat saw the log .", "a cat sat on the log .", "the dog saw a cat .",
        "the cat and the dog sat on the mat .", "a dog saw the cat on a log .",
    ];

    [Fact]
    public async Task ATinyJobStartedFromThePageEndsWithAChartOfItsEpochsAndItsModelListed()
    {
        Start("browser test", hidden: 8, epochs: 2, text: Sentences);
        var id = WaitUntilTheJobSucceeds();

        var job = await page.Http.GetFromJsonAsync<JsonElement>($"/jobs/{id}");
        var perplexities = job.GetProperty("progress").GetProperty("validPerplexity").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        Assert.Equal(2, perplexities.Length);
        var points = page.Browser.FindElements(By.CssSelector("#train-chart .point.series-valid"));
        Assert.Equal(perplexities, points.Select(p => double.Parse(p.Attr("data-value"), CultureInfo.InvariantCulture)));
        Assert.Equal(["1", "2"], points.Select(p => p.Attr("data-epoch")));
        var training = job.GetProperty("progress").GetProperty("trainPerplexity").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        Assert.Equal(2, training.Length);
        Assert.Equal(training, page.Browser.FindElements(By.CssSelector("#train-chart .point.series-train")).Select(p => double.Parse(p.Attr("data-value"), CultureInfo.InvariantCulture)));
        Assert.Contains(job.GetProperty("result").GetProperty("modelId").GetString()!, page.Browser.FindElement(By.Id("train-status")).Text, StringComparison.Ordinal);
        page.Screenshot("train");

        page.Browser.FindElement(By.CssSelector("nav a[href='#models']")).Click();
        var card = page.Until(d => d.FindElement(By.CssSelector($"#models-list .card[data-id='{id}']")), "the trained model is not in Models");
        Assert.Contains("browser test", card.Text, StringComparison.Ordinal);
        Assert.NotNull(page.Browser.FindElement(By.CssSelector("#models-list .card.active")));
        page.Screenshot("models");
    }

    [Fact]
    public void StartingAJobWithoutTheKeyShowsTheApisRefusal()
    {
        page.Open("train");
        page.Type("api-key", "");
        page.Type("train-text", "a b c .");
        page.Browser.FindElement(By.CssSelector("#train-form button[type=submit]")).Click();
        // The API names the header X-Api-Key: its message goes beside the key's box, and the form says so too.
        var shown = page.Until(d => d.FindElement(By.Id("api-key-error")).Text is { Length: > 0 } t ? t : null, "no message beside the API key")!;
        Assert.Equal("Send the API key in the X-Api-Key header.", shown);
        Assert.Contains(shown, page.Browser.FindElement(By.CssSelector("#train-form .form-error")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJobTrainedOnAnUploadedFileSucceedsAndItsModelIsListed()
    {
        // Every line has "heron", which none of the pasted sentences have: the model knows it only if it read the file.
        var lines = Enumerable.Range(0, 40).Select(i => $"the heron {Nouns[i % Nouns.Length]} waded in the {Nouns[i / Nouns.Length % Nouns.Length]} .").ToArray();
        using var upload = new TrainingFile(lines);
        Start("uploaded file", hidden: 8, epochs: 1, file: upload.Path);
        var id = WaitUntilTheJobSucceeds();

        var job = await page.GetAsync($"/jobs/{id}");
        var data = job.GetProperty("data");
        Assert.Equal(lines.Length, data.GetProperty("trainSentences").GetInt32() + data.GetProperty("validSentences").GetInt32());
        var heron = await page.PostAsync($"/score?model={id}", new { tokens = new[] { new[] { "the", "heron" } } });
        Assert.False(heron.GetProperty("sentences")[0].GetProperty("tokens")[1].GetProperty("unknown").GetBoolean(), "the model never saw the file's words");

        page.Browser.FindElement(By.CssSelector("nav a[href='#models']")).Click();
        var card = page.Until(d => d.FindElement(By.CssSelector($"#models-list .card[data-id='{id}']")), "the model trained on the file is not in Models");
        Assert.Contains("uploaded file", card.Text, StringComparison.Ordinal);
        Assert.Equal("ready", (await page.GetAsync($"/models/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheCancelButtonStopsARunningJob()
    {
        // Long enough to be running still when the button is pressed: about 40,000 words an epoch through a 512-wide layer, 100 epochs at most.
        var lines = Enumerable.Range(0, 4000)
            .Select(i => $"the {Nouns[i % Nouns.Length]} saw a {Nouns[i / 7 % Nouns.Length]} near the {Nouns[i / 49 % Nouns.Length]} on day {i} .").ToArray();
        using var upload = new TrainingFile(lines);
        Start("cancelled", hidden: 512, epochs: 100, file: upload.Path);
        var panel = page.Browser.FindElement(By.Id("train-job"));
        var id = page.Until(d => panel.GetDomAttribute("data-status") == "running" ? panel.GetDomAttribute("data-job") : null, "the job never showed running")!;
        try
        {
            page.Browser.FindElement(By.Id("train-cancel")).Click();
            page.Until(d => panel.GetDomAttribute("data-status") is "cancelled", $"the page never showed the job cancelled: {panel.Text}");
            Assert.Contains("cancelled", page.Browser.FindElement(By.Id("train-status")).Text, StringComparison.Ordinal);
            Assert.False(page.Browser.FindElement(By.Id("train-cancel")).Displayed, "the cancel button is still offered");
            var job = await page.GetAsync($"/jobs/{id}");
            Assert.Equal("cancelled", job.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, job.GetProperty("result").ValueKind);
            Assert.DoesNotContain((await page.GetAsync("/models")).GetProperty("models").EnumerateArray(), m => m.GetProperty("id").GetString() == id);
        }
        finally
        {
            // Whatever happened above, the job must not hold the queue for the tests after this one.
            await page.CallAsync(HttpMethod.Delete, $"/jobs/{id}", key: true);
        }
    }

    private static readonly string[] Nouns = ["lagoon", "reed", "bank", "pond", "stone", "marsh", "river"];

    // Fills in the form with the key, a name and the settings, pastes text or chooses a file, and starts the job.
    private void Start(string name, int hidden, int epochs, string[]? text = null, string? file = null)
    {
        page.Open("train");
        page.Type("api-key", Playground.ApiKey);
        page.Type("train-name", name);
        page.Type("train-text", text is null ? "" : string.Join("\n", text));
        if (file is not null)
        {
            page.Browser.FindElement(By.Id("train-file")).SendKeys(file);
        }

        page.Type("train-hidden", hidden.ToString(CultureInfo.InvariantCulture));
        page.Type("train-classes", "4");
        page.Type("train-epochs", epochs.ToString(CultureInfo.InvariantCulture));
        page.Browser.FindElement(By.CssSelector("#train-form button[type=submit]")).Click();
    }

    // Waits for the job to end on the page; it must have succeeded. Returns its id.
    private string WaitUntilTheJobSucceeds()
    {
        var status = page.Until(d => d.FindElement(By.Id("train-job")).GetDomAttribute("data-status") is "succeeded" or "failed" or "cancelled" ? d.FindElement(By.Id("train-job")).GetDomAttribute("data-status") : null,
            "the job never ended on the page");
        Assert.True(status == "succeeded", page.Browser.FindElement(By.Id("train-status")).Text);
        return page.Browser.FindElement(By.Id("train-job")).Attr("data-job");
    }

    // A training text as a file the page can upload, one sentence a line; deleted with its folder.
    private sealed class TrainingFile : IDisposable
    {
        private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("rnnlm-upload-");

        public TrainingFile(IEnumerable<string> lines)
        {
            Path = System.IO.Path.Combine(_folder.FullName, "train.txt");
            File.WriteAllLines(Path, lines);
        }

        public string Path { get; }

        public void Dispose() => _folder.Delete(recursive: true);
    }
}
