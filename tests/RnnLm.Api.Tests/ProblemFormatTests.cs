using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace RnnLm.Api.Tests;

/// <summary>Found by the bad-input property: errors are problem details whatever a request's Accept says, and text that is not UTF-8 is refused.</summary>
public sealed class ProblemFormatTests(RnnLmApplication app) : IClassFixture<RnnLmApplication>
{
    [Theory]
    [InlineData("GET", "/jobs/x/nothing", null, "text/html,application/xhtml+xml", HttpStatusCode.NotFound)]
    [InlineData("PUT", "/jobs", null, "text/plain", HttpStatusCode.MethodNotAllowed)]
    [InlineData("POST", "/tokenize", "{}}", "text/event-stream", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/next?prefix=The&prefix=jury", null, "application/xml", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/score", "{\"text\": 5}", "garbage", HttpStatusCode.BadRequest)]
    public async Task AnErrorIsProblemDetailsWhateverTheAcceptHeaderSays(string method, string path, string? body, string accept, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await app.CreateClient().SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
    }

    [Fact]
    public async Task AnUploadsSettingsThatAreNotUtf8AreRefusedNamingTheField()
    {
        using var form = new MultipartFormDataContent();
        var settings = new ByteArrayContent([.. "{\"name\": \"It"u8, 0xE2, 0x82, .. "said\", \"hidden\": 8}"u8]);
        form.Add(settings, "settings");
        form.Add(new StringContent("the cat sat .\nthe dog sat .\n"), "train", "train.txt");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = form };
        request.Headers.Add("X-Api-Key", RnnLmApplication.ApiKey);
        var response = await app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("not UTF-8", problem.GetProperty("errors").GetProperty("settings")[0].GetString());
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0xFF })]
    public async Task ATrainingSettingWithBytesThatAreNotUtf8IsA400NotA500(byte[] bad)
    {
        var body = new ByteArrayContent([.. "{\"corpus\": \"brown\", \"output\": \"It"u8, .. bad, .. "said\"}"u8]);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = body };
        request.Headers.Add("X-Api-Key", RnnLmApplication.ApiKey);
        var response = await app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
