using System.Net;
using System.Text.RegularExpressions;

namespace RnnLm.Api.Tests;

/// <summary>The playground's files as the service serves them (the browser tests drive the page itself).</summary>
[Collection(ApiCollection.Name)]
public sealed partial class PlaygroundTests(RnnLmApplication app)
{
    [Fact]
    public async Task TheRootServesThePageWhichLinksToSwaggerStillAtSwagger()
    {
        var page = await app.CreateClient().GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());
        Assert.Contains("href=\"/swagger\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/swagger/index.html")).StatusCode);
    }

    [Fact]
    public async Task EveryFileThePageLoadsIsServedFromTheServiceItself()
    {
        var root = Path.Combine(WebRoot(), "js");
        var files = Directory.GetFiles(root, "*.js").Select(f => "js/" + Path.GetFileName(f)).Append("index.html").Append("app.css").ToArray();
        Assert.Contains("js/main.js", files);
        foreach (var file in files)
        {
            var answer = await app.CreateClient().GetAsync("/" + file);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var text = await answer.Content.ReadAsStringAsync();
            Assert.False(ExternalLoad().IsMatch(text), $"{file} loads something from elsewhere: {ExternalLoad().Match(text).Value}");
            Assert.True(text.Split('\n').Length <= 600, $"{file} is over 600 lines");
        }
    }

    [Fact]
    public async Task AMissingFileIsAProblemNotThePage()
    {
        var (response, json) = await app.SendAsync(HttpMethod.Get, "/js/no-such-module.js");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(json.GetProperty("errors").TryGetProperty("route", out _));
    }

    private static string WebRoot() =>
        Engine.IO.RepoPaths.Find("src/RnnLm.Api/wwwroot", AppContext.BaseDirectory) ?? throw new DirectoryNotFoundException("src/RnnLm.Api/wwwroot");

    // An attribute, import or stylesheet that makes the browser fetch from another host.
    [GeneratedRegex(@"(src|href|action)\s*=\s*[""']?(https?:)?//|from\s+[""'](https?:)?//|import\s*\(\s*[""'](https?:)?//|url\(\s*[""']?(https?:)?//|@import", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalLoad();
}
