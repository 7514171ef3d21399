using OpenQA.Selenium;

namespace RnnLm.Browser.Tests;

/// <summary>The Models view: "Use" picks the model the other views answer with; "Activate" makes one the service's active model.</summary>
[Collection(PlaygroundCollection.Name)]
public sealed class ModelsTests(Playground page)
{
    private const string Other = Playground.SecondModel;

    [Fact]
    public async Task UsingAModelThatIsNotActiveMakesScoreAndNextWordAnswerWithIt()
    {
        // Not the box's first text: the view must answer what was typed, after the pick.
        const string Text = "The board found no evidence of fraud. It was a Zyxqv.";
        const string Prefix = "The jury said that";
        var registry = await page.GetAsync("/models");
        Assert.NotEqual(Other, registry.GetProperty("activeId").GetString());

        page.Open("models");
        Button(Card(Other), "Use").Click();

        // The picked card wears the mark, no other card does, and the header's picker names it.
        page.Until(d => Card(Other).FindElement(By.CssSelector(".badge.picked")).Displayed, "the picked card is not marked");
        Assert.All(page.Browser.FindElements(By.CssSelector("#models-list .card")).Where(c => c.Attr("data-id") != Other),
            c => Assert.False(c.FindElement(By.CssSelector(".badge.picked")).Displayed, $"{c.Attr("data-id")} is marked too"));
        Assert.Equal(Other, page.Browser.FindElement(By.Id("model-picker")).GetDomProperty("value"));

        page.Browser.FindElement(By.CssSelector("nav a[href='#score']")).Click();
        page.Type("score-text", Text);
        page.Until(d => d.FindElement(By.Id("score-output")) is var o && o.GetDomAttribute("data-text") == Text && o.GetDomAttribute("data-model") == Other,
            "Score did not answer with the model picked");
        var picked = await page.PostAsync($"/score?model={Other}", new { text = Text, alternatives = 5 });
        var active = await page.PostAsync("/score", new { text = Text });
        Assert.NotEqual(active.GetProperty("perplexity").GetDouble(), picked.GetProperty("perplexity").GetDouble());
        page.AssertScoreShows(picked);
        Assert.Contains($"model {Other}", page.Browser.FindElement(By.Id("score-summary")).Text, StringComparison.Ordinal);

        page.Browser.FindElement(By.CssSelector("nav a[href='#next']")).Click();
        page.Type("next-prefix", Prefix);
        page.Until(d => d.FindElement(By.Id("next-chart")) is var c && c.GetDomAttribute("data-prefix") == Prefix && c.GetDomAttribute("data-model") == Other,
            "Next word did not answer with the model picked");
        page.AssertChartShows(await page.GetAsync($"/next?prefix={Uri.EscapeDataString(Prefix)}&top=10&model={Other}"));
    }

    [Fact]
    public async Task ActivatingWithoutTheKeyShowsTheApisRefusalAndWithItTheCardBecomesTheActiveModel()
    {
        var before = (await page.GetAsync("/models")).GetProperty("activeId").GetString()!;
        Assert.NotEqual(Other, before);
        try
        {
            page.Open("models");
            page.Type("api-key", "");
            Button(Card(Other), "Activate").Click();

            // The API's message beside the key's box, and its title with the message on the card.
            var shown = page.Until(d => d.FindElement(By.Id("api-key-error")).Text is { Length: > 0 } t ? t : null, "no message beside the API key")!;
            var problem = await page.ProblemAsync(HttpMethod.Post, $"/models/{Other}/activate");
            Assert.Equal(problem.GetProperty("errors").GetProperty("X-Api-Key")[0].GetString(), shown);
            var cardError = Card(Other).FindElement(By.CssSelector(".form-error")).Text;
            Assert.Contains(problem.GetProperty("title").GetString()!, cardError, StringComparison.Ordinal);
            Assert.Contains(shown, cardError, StringComparison.Ordinal);
            Assert.Equal(before, (await page.GetAsync("/models")).GetProperty("activeId").GetString());

            page.Type("api-key", Playground.ApiKey);
            Button(Card(Other), "Activate").Click();
            page.Until(d => d.FindElement(By.CssSelector("#models-list .card.active")).GetDomAttribute("data-id") == Other, "the card never became active");
            Assert.Equal(Other, (await page.GetAsync("/models")).GetProperty("activeId").GetString());
            Assert.Equal("", page.Browser.FindElement(By.Id("api-key-error")).Text);
            Assert.True(Card(Other).FindElement(By.CssSelector(".badge.picked")).Displayed, "the views do not say they follow the new active model");

            // With no model picked, the views answer with the new active one.
            page.Browser.FindElement(By.CssSelector("nav a[href='#score']")).Click();
            page.Until(d => d.FindElement(By.Id("score-output")).GetDomAttribute("data-model") == Other, "Score did not follow the active model");
        }
        finally
        {
            await page.CallAsync(HttpMethod.Post, $"/models/{before}/activate", key: true);
        }
    }

    private IWebElement Card(string id) =>
        page.Until(d => d.FindElement(By.CssSelector($"#models-list .card[data-id='{id}']")), $"no card for {id}");

    private static IWebElement Button(IWebElement card, string text) =>
        card.FindElements(By.CssSelector(".actions button")).Single(b => b.Text == text);
}
