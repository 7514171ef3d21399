using OpenQA.Selenium;

namespace RnnLm.Browser.Tests;

/// <summary>The page with the keyboard alone: Tab, Shift+Tab, Enter and Space reach every view, submit its forms and explain every token.</summary>
[Collection(PlaygroundCollection.Name)]
public sealed class KeyboardTests(Playground page)
{
    [Fact]
    public void TabAndEnterOnTheNavigationReachEveryView()
    {
        page.Open("score");
        foreach (var view in new[] { "next", "generate", "models", "train", "score" })
        {
            // Forward through the links, then back from Train to Score.
            var link = page.TabTo($"nav a[href='#{view}']", back: view == "score");
            page.Press(Keys.Enter);
            page.Until(d => d.FindElement(By.Id(view)).Displayed, $"Enter on its link did not show #{view}");
            Assert.Equal("page", link.GetDomAttribute("aria-current"));
            Assert.Single(page.Browser.FindElements(By.CssSelector("main > section.view")), s => s.Displayed);
        }
    }

    [Fact]
    public async Task TheScoreFormIsSubmittedWithSpaceAndTabWalksThroughTheTokensShowingEachOnesDetail()
    {
        const string Text = "Nobody expected the vote. It was a Zyxqv.";
        page.Open("score");
        page.TabTo("#score-text");
        page.ReplaceByKeyboard(Text);
        var output = page.Browser.FindElement(By.Id("score-output"));
        page.Until(d => output.GetDomAttribute("data-text") == Text, "the text typed was never scored");

        // Space on the Score button scores it again: the tokens shown are new ones.
        var shown = output.FindElement(By.CssSelector(".tok"));
        page.TabTo("#score-form button[type=submit]");
        page.Press(Keys.Space);
        page.Until(_ => shown.IsStale(), "Space on Score did not score the text again");
        page.Until(d => output.GetDomAttribute("data-text") == Text, "the text was not scored again");
        var expected = await page.PostAsync("/score", new { text = Text, alternatives = 5 });
        page.AssertScoreShows(expected);

        // Tab goes from the button to each token in turn, and focus shows its probability, rank and alternatives.
        foreach (var token in expected.GetProperty("sentences").EnumerateArray().SelectMany(s => s.GetProperty("tokens").EnumerateArray()))
        {
            page.Press(Keys.Tab);
            Assert.Equal(token.GetProperty("token").GetString(), page.Browser.SwitchTo().ActiveElement().Attr("data-token"));
            page.AssertDetailShows(token);
        }
    }

    [Fact]
    public async Task TheGenerateFormIsSubmittedWithEnterInAField()
    {
        page.Open("generate");
        page.TabTo("#gen-seed");
        page.ReplaceByKeyboard("7");
        page.Press(Keys.Enter);
        page.Until(d => d.FindElement(By.Id("generate-output")).GetDomAttribute("data-text"), "Enter in the seed's box generated nothing");
        page.AssertGenerationShows(await page.PostAsync("/generate", new { prefix = "The jury said", maxTokens = 20, temperature = 0.8, topK = 40, seed = 7 }));
    }
}
