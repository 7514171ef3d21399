using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;

namespace RnnLm.Browser.Tests;

/// <summary>
/// What the browser tests share: calls to the service beside the page, the checks that what a view shows is what the API
/// answered, and moving through the page with the keyboard alone.
/// </summary>
public static partial class PageKit
{
    public static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A request that must succeed; its JSON (null for 204). <paramref name="key"/>: send the API key.</summary>
    public static async Task<JsonElement> CallAsync(this Playground page, HttpMethod method, string path, object? body = null, bool key = false)
    {
        using var response = await page.SendAsync(method, path, body, key);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.StatusCode == System.Net.HttpStatusCode.NoContent ? default : await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static Task<JsonElement> GetAsync(this Playground page, string path) => page.CallAsync(HttpMethod.Get, path);

    public static Task<JsonElement> PostAsync(this Playground page, string path, object body) => page.CallAsync(HttpMethod.Post, path, body);

    /// <summary>A request that must fail: the problem details it answers.</summary>
    public static async Task<JsonElement> ProblemAsync(this Playground page, HttpMethod method, string path, object? body = null)
    {
        using var response = await page.SendAsync(method, path, body, key: false);
        Assert.False(response.IsSuccessStatusCode, $"{method} {path} succeeded");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<HttpResponseMessage> SendAsync(this Playground page, HttpMethod method, string path, object? body, bool key)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (key)
        {
            request.Headers.Add("X-Api-Key", Playground.ApiKey);
        }

        return await page.Http.SendAsync(request);
    }

    /// <summary>
    /// The Score view shows <paramref name="expected"/> (POST /score's answer): each sentence's tokens with their
    /// log-probabilities to the last bit, ranks, &lt;unk&gt; marks and shades, and each sentence's perplexity.
    /// </summary>
    public static void AssertScoreShows(this Playground page, JsonElement expected)
    {
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
    }

    /// <summary>The Next word chart's bars are <paramref name="expected"/>'s candidates (GET /next's answer), in order, with their probabilities to the last bit.</summary>
    public static void AssertChartShows(this Playground page, JsonElement expected)
    {
        var bars = page.Browser.FindElements(By.CssSelector("#next-chart .bar"));
        var candidates = expected.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(candidates.Select(c => c.GetProperty("token").GetString()), bars.Select(b => b.Attr("data-token")));
        Assert.Equal(candidates.Select(c => c.GetProperty("probability").GetDouble()), bars.Select(b => Number(b.Attr("data-probability"))));
    }

    /// <summary>The Generate view shows <paramref name="expected"/> (POST /generate's answer): its text, and each token's probability to the last bit.</summary>
    public static void AssertGenerationShows(this Playground page, JsonElement expected)
    {
        Assert.Equal(expected.GetProperty("text").GetString(), page.Browser.FindElement(By.Id("generate-output")).GetDomAttribute("data-text"));
        var tokens = page.Browser.FindElements(By.CssSelector("#generate-output .gen-tok"));
        Assert.Equal(expected.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("probability").GetDouble()),
            tokens.Select(t => Number(t.Attr("data-probability"))));
    }

    /// <summary>
    /// The Score view's detail (the tooltip of a hovered or focused token) explains <paramref name="token"/>, one token of
    /// POST /score's answer with alternatives: its probability as shown (4 significant digits), its rank, and the
    /// alternatives' words and probabilities in order.
    /// </summary>
    public static void AssertDetailShows(this Playground page, JsonElement token)
    {
        var detail = page.Until(d => d.FindElement(By.Id("score-detail")) is var box
            && box.FindElement(By.TagName("strong")).Text == token.GetProperty("token").GetString()
            && box.FindElements(By.CssSelector("tbody tr")).Count > 0 ? box : null, $"no detail for {token.GetProperty("token")}")!;
        var line = detail.FindElement(By.TagName("p")).Text;
        var shown = ShownProbability().Match(line);
        Assert.True(shown.Success, line);
        AssertShownAs(Math.Exp(token.GetProperty("logProb").GetDouble()), shown.Groups[1].Value);
        Assert.Contains($"rank {token.GetProperty("rank").GetInt32().ToString("N0", CultureInfo.InvariantCulture)}", line, StringComparison.Ordinal);

        var rows = detail.FindElements(By.CssSelector("tbody tr")).Select(row => row.FindElements(By.TagName("td"))).ToArray();
        var alternatives = token.GetProperty("alternatives").EnumerateArray().ToArray();
        Assert.Equal(alternatives.Select(a => a.GetProperty("token").GetString()), rows.Select(cells => cells[1].Text));
        for (var i = 0; i < rows.Length; i++)
        {
            AssertShownAs(alternatives[i].GetProperty("probability").GetDouble(), rows[i][2].Text);
        }
    }

    // The page rounds to 4 significant digits (3 in exponent form, below 1e-4).
    private static void AssertShownAs(double value, string shown) =>
        Assert.True(Math.Abs(Number(shown) - value) <= 5e-3 * value, $"{value} is shown as {shown}");

    [GeneratedRegex(@"probability ([0-9.e+-]+),")]
    private static partial Regex ShownProbability();

    /// <summary>True once the element has left the page (a view drew its output again).</summary>
    public static bool IsStale(this IWebElement element)
    {
        try
        {
            _ = element.Enabled;
            return false;
        }
        catch (StaleElementReferenceException)
        {
            return true;
        }
    }

    /// <summary>Presses keys as a person would, into whatever has the focus.</summary>
    public static void Press(this Playground page, string keys) => new Actions(page.Browser).SendKeys(keys).Perform();

    /// <summary>Replaces what the focused box holds by <paramref name="text"/>: Ctrl+A, then the text typed.</summary>
    public static void ReplaceByKeyboard(this Playground page, string text) =>
        new Actions(page.Browser).KeyDown(Keys.Control).SendKeys("a").KeyUp(Keys.Control).SendKeys(text).Perform();

    /// <summary>
    /// Presses Tab (Shift+Tab with <paramref name="back"/>) until the element matching <paramref name="css"/> has the
    /// focus, and returns it; fails after <paramref name="most"/> presses.
    /// </summary>
    public static IWebElement TabTo(this Playground page, string css, bool back = false, int most = 80)
    {
        for (var presses = 0; presses < most; presses++)
        {
            if (page.Browser.ExecuteScript("return document.activeElement.matches(arguments[0])", css) is true)
            {
                return page.Browser.SwitchTo().ActiveElement();
            }

            var actions = new Actions(page.Browser);
            (back ? actions.KeyDown(Keys.Shift).SendKeys(Keys.Tab).KeyUp(Keys.Shift) : actions.SendKeys(Keys.Tab)).Perform();
        }

        throw new InvalidOperationException($"{most} presses of {(back ? "Shift+Tab" : "Tab")} never reached {css}.");
    }
}
