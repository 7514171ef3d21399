using System.Globalization;
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

        var expected = await page.PostAsync("/score", new { text = Text, alternatives = 5 });
        page.AssertScoreShows(expected);
        Assert.Contains("perplexity " + expected.GetProperty("perplexity").GetDouble().ToString("G4", CultureInfo.InvariantCulture),
            page.Browser.FindElement(By.Id("score-summary")).Text, StringComparison.Ordinal);

        // From the Score button, Tab reaches the first token; its detail shows its probability, rank and the alternatives there.
        page.Browser.FindElement(By.CssSelector("#score-form button[type=submit]")).SendKeys(Keys.Tab);
        Assert.Equal("The", page.Browser.SwitchTo().ActiveElement().Attr("data-token"));
        page.AssertDetailShows(expected.GetProperty("sentences")[0].GetProperty("tokens")[0]);

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
        var state = await page.GetAsync($"/sessions/{session}");
        Assert.Equal(["The", "jury", "said", "that", "it"], state.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token").GetString()));

        await AssertTheChartIsNextsAsync("The jury said that it ");

        // A word being typed goes through GET /next.
        box.SendKeys("w");
        page.Until(d => d.FindElement(By.Id("next-chart")).GetDomAttribute("data-source") == "next", "a partial word did not go through /next");
    }

    private async Task AssertTheChartIsNextsAsync(string prefix) =>
        page.AssertChartShows(await page.GetAsync($"/next?prefix={Uri.EscapeDataString(prefix)}&top=10"));

    [Fact]
    public async Task GeneratingTwiceWithTheSameSeedGivesTheSameTextAsTheApi()
    {
        page.Open("generate");
        page.Browser.FindElement(By.CssSelector("#generate-form button[type=submit]")).Click();
        page.Until(d => d.FindElement(By.Id("generate-output")).GetDomAttribute("data-text"), "nothing was generated");

        page.AssertGenerationShows(await page.PostAsync("/generate", new { prefix = "The jury said", maxTokens = 20, temperature = 0.8, topK = 40, seed = 69 }));
        page.Screenshot("generate");
    }

    [Fact]
    public async Task ABadInputShowsTheApisMessageNextToItsField()
    {
        page.Open("generate");
        var temperature = page.Type("gen-temperature", "0");
        page.Browser.FindElement(By.CssSelector("#generate-form button[type=submit]")).Click();
        var shown = page.Until(d => d.FindElement(By.Id("gen-temperature-error")).Text is { Length: > 0 } t ? t : null, "no message beside temperature");

        var problem = await page.ProblemAsync(HttpMethod.Post, "/generate", new { prefix = "The jury said", maxTokens = 20, temperature = 0, topK = 40, seed = 69 });
        Assert.Equal(problem.GetProperty("errors").GetProperty("temperature")[0].GetString(), shown);
        Assert.Equal("true", temperature.Attr("aria-invalid"));

        page.Open("next");
        page.Type("next-top", "0");
        var topShown = page.Until(d => d.FindElement(By.Id("next-top-error")).Text is { Length: > 0 } t ? t : null, "no message beside top");
        var nextProblem = await page.ProblemAsync(HttpMethod.Get, "/next?prefix=The%20jury&top=0");
        Assert.Equal(nextProblem.GetProperty("errors").GetProperty("top")[0].GetString(), topShown);
        page.Screenshot("error");
    }

    /// <summary>The page's views, by the id of their section (and the fragment that opens them).</summary>
    public static TheoryData<string> Views => new() { "score", "next", "generate", "models", "train" };

    [Theory]
    [MemberData(nameof(Views))]
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

    [Theory]
    [MemberData(nameof(Views))]
    public void EveryViewLoadsEverythingFromTheServiceItself(string view)
    {
        page.Open(view);
        // Every resource the browser fetched (scripts, styles, images, API calls) and every script and link the page names.
        var urls = ((IEnumerable<object>)page.Browser.ExecuteScript(
            "return [...performance.getEntriesByType('resource').map(e => e.name), location.href, "
            + "...[...document.querySelectorAll('script[src], link[href], img[src]')].map(e => e.src || e.href)]")!).Cast<string>().ToList();
        Assert.True(urls.Count > 1, "the page fetched nothing");
        var origin = page.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        Assert.All(urls, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
    }
}
