using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OpenQA.Selenium;

namespace RnnLm.Browser.Tests;

/// <summary>The playground in Chromium against the shipped model: what it shows is what the API answers.</summary>
[Collection(PlaygroundCollection.Name)]
public sealed class PageTests(Playground page)
{
    [Fact]
    public async Task TypingASentenceShadesEachTokenWithTheProbabilityScoreGivesAndFocusShowsItsAlternatives()
    {
        const string Text = "The committee found no evidence of fraud. It was a Zyxqv.";
        page.Open("score");
        page.Type("score-text", Text);
        page.Until(d => d.FindElement(By.Id("score-output")).GetDomAttribute("data-text") == Text, "the scored text never appeared");

        var expected = await PostAsync("/score", new { text = Text, alternatives = 5 });
        var sentences = page.Browser.FindElements(By.CssSelector("#score-output .sentence"));
        Assert.Equal(expected.GetProperty("sentences").GetArrayLength(), sentences.Count);
        for (var s = 0; s < sentences.Count; s++)
        {
            var want = expected.GetProperty("sentences")[s];
            var tokens = sentences[s].FindElements(By.CssSelector(".tok"));
            var wantTokens = want.GetProperty("tokens").EnumerateArray().ToArray();
            Assert.Equal(wantTokens.Select(t => t.GetProperty("token").GetString()), tokens.Select(t => t.Text));
            for (var t = 0; t < tokens.Count; t++)
            {
                var logProb = wantTokens[t].GetProperty("logProb").GetDouble();
                Assert.Equal(logProb, Number(tokens[t].Attr("data-logprob")));
                Assert.Equal(wantTokens[t].GetProperty("rank").GetInt32(), int.Parse(tokens[t].Attr("data-rank"), CultureInfo.InvariantCulture));
                Assert.Equal(wantTokens[t].GetProperty("unknown").GetBoolean(), tokens[t].Attr("class").Split(' ').Contains("unk"));
                var shade = Math.Min(-logProb / Math.Log(2) / 16, 1);
                var style = tokens[t].Attr("style");
                Assert.StartsWith("--s:", style, StringComparison.Ordinal);
                Assert.Equal(shade, Number(style[4..].TrimEnd(';')), 0.0006);
            }

            var perplexity = sentences[s].FindElement(By.CssSelector(".ppl")).Attr("data-perplexity");
            Assert.Equal(want.GetProperty("perplexity").GetDouble(), Number(perplexity));
        }

        Assert.Contains("perplexity " + expected.GetProperty("perplexity").GetDouble().ToString("G4", CultureInfo.InvariantCulture),
            page.Browser.FindElement(By.Id("score-summary")).Text, StringComparison.Ordinal);

        // From the Score button, Tab reaches the first token; its detail lists the model's alternatives there.
        page.Browser.FindElement(By.CssSelector("#score-form button[type=submit]")).SendKeys(Keys.Tab);
        var focused = page.Browser.SwitchTo().ActiveElement();
        Assert.Equal("The", focused.Attr("data-token"));
        var first = expected.GetProperty("sentences")[0].GetProperty("tokens")[0];
        var detail = page.Until(d => d.FindElement(By.Id("score-detail")).FindElements(By.CssSelector("tbody tr")) is { Count: > 0 } rows ? rows : null)!;
        Assert.Equal(first.GetProperty("alternatives").EnumerateArray().Select(a => a.GetProperty("token").GetString()),
            detail.Select(row => row.FindElements(By.TagName("td"))[1].Text));
        Assert.Contains($"rank {first.GetProperty("rank").GetInt32()}", page.Browser.FindElement(By.Id("score-detail")).Text, StringComparison.Ordinal);

        // Hovering the unknown word says so.
        var unknown = page.Browser.FindElement(By.CssSelector("#score-output .tok.unk"));
        new OpenQA.Selenium.Interactions.Actions(page.Browser).MoveToElement(unknown).Perform();
        page.Until(d => d.FindElement(By.Id("score-detail")).Text.Contains("scored as <unk>", StringComparison.Ordinal), "hovering <unk> showed nothing");
        page.Screenshot("score");
    }

    [Fact]
    public async Task TheNextWordChartShowsWhatNextAnswersForThePrefixTyped()
    {
        const string Prefix = "The jury said that";
        page.Open("next");
        page.Type("next-prefix", Prefix);
        page.Until(d => d.FindElement(By.Id("next-chart")).GetDomAttribute("data-prefix") == Prefix, "the chart never showed the prefix typed");

        await AssertTheChartIsNextsAsync(Prefix);
        page.Screenshot("next");
    }

    [Fact]
    public async Task WhileTheTextGrowsByWholeWordsTheChartComesFromOneStreamingSession()
    {
        page.Open("next");
        var box = page.Type("next-prefix", "The jury said ");
        var session = page.Until(d => d.FindElement(By.Id("next-chart")) is var chart && chart.GetDomAttribute("data-prefix") == "The jury said "
            ? chart.GetDomAttribute("data-session") : null, "no session answered for whole words");
        Assert.Equal("session", page.Browser.FindElement(By.Id("next-chart")).GetDomAttribute("data-source"));

        // Two more words go to the same session, which then holds all five: the call sent only what was added.
        box.SendKeys("that it ");
        page.Until(d => d.FindElement(By.Id("next-chart")).GetDomAttribute("data-prefix") == "The jury said that it ", "the chart never caught up");
        Assert.Equal(session, page.Browser.FindElement(By.Id("next-chart")).GetDomAttribute("data-session"));
        var state = await GetAsync($"/sessions/{session}");
        Assert.Equal(["The", "jury", "said", "that", "it"], state.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()));

        await AssertTheChartIsNextsAsync("The jury said that it ");

        // A word being typed goes through GET /next.
        box.SendKeys("w");
        page.Until(d => d.FindElement(By.Id("next-chart")).GetDomAttribute("data-source") == "next", "a partial word did not go through /next");
    }

    // The bars are GET /next's candidates for the prefix, in order, with their probabilities to the last bit.
    private async Task AssertTheChartIsNextsAsync(string prefix)
    {
        var expected = await GetAsync($"/next?prefix={Uri.EscapeDataString(prefix)}&top=10");
        var bars = page.Browser.FindElements(By.CssSelector("#next-chart .bar"));
        var candidates = expected.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(candidates.Select(c => c.GetProperty("token").GetString()), bars.Select(b => b.Attr("data-token")));
        Assert.Equal(candidates.Select(c => c.GetProperty("probability").GetDouble()), bars.Select(b => Number(b.Attr("data-probability"))));
    }

    [Fact]
    public async Task GeneratingTwiceWithTheSameSeedGivesTheSameTextAsTheApi()
    {
        page.Open("generate");
        page.Browser.FindElement(By.CssSelector("#generate-form button[type=submit]")).Click();
        var text = page.Until(d => d.FindElement(By.Id("generate-output")).GetDomAttribute("data-text"), "nothing was generated");

        var expected = await PostAsync("/generate", new { prefix = "The jury said", maxTokens = 20, temperature = 0.8, topK = 40, seed = 69 });
        Assert.Equal(expected.GetProperty("text").GetString(), text);
        var tokens = page.Browser.FindElements(By.CssSelector("#generate-output .gen-tok"));
        Assert.Equal(expected.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("probability").GetDouble()),
            tokens.Select(t => Number(t.Attr("data-probability"))));
        page.Screenshot("generate");
    }

    [Fact]
    public async Task ABadInputShowsTheApisMessageNextToItsField()
    {
        page.Open("generate");
        var temperature = page.Type("gen-temperature", "0");
        page.Browser.FindElement(By.CssSelector("#generate-form button[type=submit]")).Click();
        var shown = page.Until(d => d.FindElement(By.Id("gen-temperature-error")).Text is { Length: > 0 } t ? t : null, "no message beside temperature");

        var problem = await SendAsync(HttpMethod.Post, "/generate", new { prefix = "The jury said", maxTokens = 20, temperature = 0, topK = 40, seed = 69 });
        Assert.Equal(problem.GetProperty("errors").GetProperty("temperature")[0].GetString(), shown);
        Assert.Equal("true", temperature.Attr("aria-invalid"));

        page.Open("next");
        page.Type("next-top", "0");
        var topShown = page.Until(d => d.FindElement(By.Id("next-top-error")).Text is { Length: > 0 } t ? t : null, "no message beside top");
        var nextProblem = await SendAsync(HttpMethod.Get, "/next?prefix=The%20jury&top=0", null);
        Assert.Equal(nextProblem.GetProperty("errors").GetProperty("top")[0].GetString(), topShown);
        page.Screenshot("error");
    }

    [Theory]
    [InlineData("score")]
    [InlineData("next")]
    [InlineData("generate")]
    [InlineData("models")]
    [InlineData("train")]
    public void EveryViewFitsA375PixelWideScreen(string view)
    {
        page.Open(view, width: 375, height: 800);
        var (scrollWidth, viewport) = ((long)page.Browser.ExecuteScript("return document.documentElement.scrollWidth")!,
            (long)page.Browser.ExecuteScript("return window.innerWidth")!);
        Assert.True(scrollWidth <= viewport, $"#{view} is {scrollWidth} px wide in a {viewport} px window");
        if (view == "score")
        {
            page.Until(d => d.FindElement(By.Id("score-output")).GetDomAttribute("data-text") is not null, "nothing was scored");
            page.Screenshot("mobile-score");
        }
    }

    [Fact]
    public async Task ThePageIsServedAtTheRootWithSwaggerStillAtSwagger()
    {
        var root = await page.Http.GetAsync("/");
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Contains("href=\"/swagger\"", await root.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await page.Http.GetAsync("/swagger/index.html")).IsSuccessStatusCode);
        Assert.True((await page.Http.GetAsync("/swagger/v1/swagger.json")).IsSuccessStatusCode);
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private async Task<JsonElement> GetAsync(string path)
    {
        var response = await page.Http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        var response = await page.Http.PostAsJsonAsync(path, body);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await page.Http.SendAsync(request);
        Assert.False(response.IsSuccessStatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
