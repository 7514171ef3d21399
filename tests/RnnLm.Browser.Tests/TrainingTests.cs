using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OpenQA.Selenium;

namespace RnnLm.Browser.Tests;

/// <summary>A tiny training job started from the page and followed through its event stream to its model in Models.</summary>
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
        page.Open("train");
        page.Type("api-key", Playground.ApiKey);
        page.Type("train-name", "browser test");
        page.Type("train-text", string.Join("\n", Sentences));
        page.Type("train-hidden", "8");
        page.Type("train-classes", "4");
        page.Type("train-epochs", "2");
        page.Browser.FindElement(By.CssSelector("#train-form button[type=submit]")).Click();

        var status = page.Until(d => d.FindElement(By.Id("train-job")).GetDomAttribute("data-status") is "succeeded" or "failed" or "cancelled" ? d.FindElement(By.Id("train-job")).GetDomAttribute("data-status") : null,
            "the job never ended on the page");
        var id = page.Browser.FindElement(By.Id("train-job")).Attr("data-job");
        Assert.True(status == "succeeded", page.Browser.FindElement(By.Id("train-status")).Text);

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
}
