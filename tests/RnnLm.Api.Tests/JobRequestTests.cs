using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>Submissions that cannot run are refused up front, with a problem naming the field; management needs the key.</summary>
[Collection(ApiCollection.Name)]
public sealed class JobRequestTests(RnnLmApplication app)
{
    public static TheoryData<string, object?, string> BadSettings => new()
    {
        { "hidden", 0, "hidden" },
        { "hidden", 5000, "hidden" },
        { "embedding", -1, "embedding" },
        { "classes", 0, "classes" },
        { "bptt", 65, "bptt" },
        { "bpttBlock", 0, "bpttBlock" },
        { "streams", 1000, "streams" },
        { "alpha", 0, "alpha" },
        { "alpha", -0.1, "alpha" },
        { "alpha", 11.0, "alpha" },
        { "beta", 0.5, "beta" },
        { "maxEpochs", 0, "maxEpochs" },
        { "maxEpochs", 101, "maxEpochs" },
        { "minImprovement", 0.9, "minImprovement" },
        { "minCount", 0, "minCount" },
        { "threads", 0, "threads" },
        { "threads", 10_000, "threads" },
        { "validFraction", 0.9, "validFraction" },
        { "validFraction", 0.0, "validFraction" },
        { "output", "softmax", "output" },
        { "optimizer", "adam", "optimizer" },
        { "dropout", 0.95, "dropout" },
        { "dropout", -0.1, "dropout" },
        { "clipNorm", -1, "clipNorm" },
        { "noProjection", "yes", "noProjection" },
        { "promote", "sometimes", "promote" },
        { "hidden", "100", "hidden" },
        { "hiddn", 100, "hiddn" },
        { "corpus", "wikipedia", "corpus" },
        { "name", new string('x', 101), "name" },
        { "name", "tab\u0001name", "name" },
        { "train", Array.Empty<string>(), "train" },
        { "train", new[] { "fine sentence", "" }, "train[1]" },
        { "train", new[] { "fine sentence", "bad\u0007bell" }, "train[1][0]" },
        { "train", new[] { "a <s> b" }, "train[0][1]" },
        { "train", null, "train" },
        { "valid", new[] { "" }, "valid[0]" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task ABadSettingIsRefusedNamingTheField(string field, object? value, string reported)
    {
        var (response, problem) = await SubmitAsync(app.CreateManagementClient(), With(QuickJob(), (field, value)));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(reported, out _), problem.ToString());
    }

    [Fact]
    public async Task NoProjectionWithAnEmbeddingWidthOfItsOwnIsRefusedNamingIt()
    {
        var (response, problem) = await SubmitAsync(app.CreateManagementClient(), With(QuickJob(), ("noProjection", true), ("embedding", 4)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("leave embedding out", problem.GetProperty("errors").GetProperty("noProjection")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorpusAndTextTogetherOrNeitherAreRefused()
    {
        var client = app.CreateManagementClient();
        var (both, bothProblem) = await SubmitAsync(client, With(QuickJob(), ("corpus", "brown")));
        var (neither, neitherProblem) = await SubmitAsync(client, With(QuickJob(), ("train", null), ("valid", null)));
        var (twoValidations, twoProblem) = await SubmitAsync(client, With(QuickJob(), ("validFraction", 0.2)));

        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Contains("leave out train", bothProblem.GetProperty("errors").GetProperty("corpus")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
        Assert.True(neitherProblem.GetProperty("errors").TryGetProperty("train", out _));
        Assert.Equal(HttpStatusCode.BadRequest, twoValidations.StatusCode);
        Assert.True(twoProblem.GetProperty("errors").TryGetProperty("validFraction", out _));
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("null", "body")]
    [InlineData("{\"hidden\": 10,", "body")]
    [InlineData("[1, 2]", "body")]
    [InlineData("{\"train\": [\"a b\"], \"hidden\": 1e400}", "hidden")]
    public async Task MalformedJsonIsRefusedNamingWhere(string body, string field)
    {
        var (response, problem) = await app.SendAsync(HttpMethod.Post, "/jobs", body, "application/json", RnnLmApplication.ApiKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task OtherContentTypesGet415()
    {
        var (response, problem) = await app.SendAsync(HttpMethod.Post, "/jobs", "hidden=3", "text/plain", RnnLmApplication.ApiKey);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("multipart/form-data", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task UploadsAreCheckedToo()
    {
        var client = app.CreateManagementClient();

        using var notUtf8 = new MultipartFormDataContent { { new ByteArrayContent([0x61, 0x20, 0xFF, 0xFE, 0x0A]), "train", "t.txt" } };
        var (badText, badTextProblem) = await Send(client, notUtf8);
        Assert.Equal(HttpStatusCode.BadRequest, badText.StatusCode);
        Assert.Contains("UTF-8", badTextProblem.GetProperty("errors").GetProperty("train")[0].GetString());

        using var unknown = new MultipartFormDataContent { { new StringContent("x"), "colour" }, { new ByteArrayContent("a b\nc d\n"u8.ToArray()), "train", "t.txt" } };
        var (unknownField, unknownProblem) = await Send(client, unknown);
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.True(unknownProblem.GetProperty("errors").TryGetProperty("colour", out _));

        using var badSettings = new MultipartFormDataContent { { new StringContent("{\"hidden\": 0}"), "settings" }, { new ByteArrayContent("a b\nc d\n"u8.ToArray()), "train", "t.txt" } };
        var (settings, settingsProblem) = await Send(client, badSettings);
        Assert.Equal(HttpStatusCode.BadRequest, settings.StatusCode);
        Assert.True(settingsProblem.GetProperty("errors").TryGetProperty("hidden", out _));

        using var textInSettings = new MultipartFormDataContent { { new StringContent("{\"train\": [\"a b\"]}"), "settings" }, { new ByteArrayContent("a b\nc d\n"u8.ToArray()), "train", "t.txt" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(client, textInSettings)).Response.StatusCode);

        static async Task<(HttpResponseMessage Response, JsonElement Json)> Send(HttpClient client, MultipartFormDataContent form)
        {
            var response = await client.PostAsync("/jobs", form);
            return (response, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }
    }

    // Content type, body, the field the problem names, words its message has.
    public static TheoryData<string, string, string, string> MalformedUploads => new()
    {
        { "multipart/form-data", "x", "Content-Type", "boundary" },
        { $"multipart/form-data; boundary={new string('b', 200)}", "x", "Content-Type", "longer than this server accepts" },
        { "multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Disposition: form-data; name=\"train\"; filename=\"t.txt\"\r\n\r\na b\n", "body", "cut short" },
        { "multipart/form-data; boundary=XYZ", "x", "body", "cut short" },
        { "multipart/form-data; boundary=OTHER", "--XYZ\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n{}\r\n--XYZ--\r\n", "body", "boundary" },
        { "multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Disposition: form-data; filename=\"t.txt\"\r\n\r\na b\r\n--XYZ--\r\n", "body", "no name" },
        { "multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Disposition: form-data\r\n\r\n{}\r\n--XYZ--\r\n", "body", "no name" },
        { "multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Type: text/plain\r\n\r\na b\r\n--XYZ--\r\n", "body", "no name" },
        { "multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Disposition: attachment; name=\"train\"\r\n\r\na b\r\n--XYZ--\r\n", "train", "Send the training text" },
    };

    [Theory]
    [MemberData(nameof(MalformedUploads))]
    public async Task AMalformedUploadIsRefusedSayingWhatIsWrong(string contentType, string body, string field, string words)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await app.CreateManagementClient().SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out var messages), text);
        Assert.Contains(words, messages[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABodyAboveMaxTrainingBytesGets413NamingTheSetting()
    {
        using var small = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:MaxTrainingBytes"] = "4096" });
        var (response, problem) = await SubmitAsync(small.CreateManagementClient(), With(QuickJob(), ("train", Corpus(2000, 1))));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("RnnLm:MaxTrainingBytes", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("POST", "/jobs")]
    [InlineData("DELETE", "/jobs/j123")]
    [InlineData("POST", "/models/tiny/activate")]
    [InlineData("DELETE", "/models/tiny")]
    public async Task ManagementNeedsTheKey(string method, string path)
    {
        var body = JsonSerializer.Serialize(QuickJob(), RnnLmApplication.Json);

        var (missing, missingProblem) = await app.SendAsync(new HttpMethod(method), path, body);
        var (wrong, _) = await app.SendAsync(new HttpMethod(method), path, body, "application/json", "not-the-key");
        using var closed = new RnnLmApplication(new Dictionary<string, string?> { ["RnnLm:ApiKey"] = "" });
        var (unset, unsetProblem) = await closed.SendAsync(new HttpMethod(method), path, body, "application/json", "anything");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("ApiKey", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.True(missingProblem.GetProperty("errors").TryGetProperty("X-Api-Key", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unset.StatusCode);
        Assert.Contains("RnnLm__ApiKey", unsetProblem.GetProperty("detail").GetString());
        Assert.Empty((await closed.CreateClient().GetFromJsonAsync<JsonElement>("/jobs")).GetProperty("jobs").EnumerateArray());
    }

    [Theory]
    [InlineData("/jobs")]
    [InlineData("/models")]
    [InlineData("/models/tiny")]
    public async Task ReadingStaysOpen(string path)
    {
        var response = await app.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/models/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/models/.hidden")]
    [InlineData("/models/a..b")]
    [InlineData("/jobs/..%2Fjobs")]
    [InlineData("/next?prefix=the&model=..%2Ftiny")]
    [InlineData("/next?prefix=the&model=%2Ftmp%2Ftiny")]
    [InlineData("/next?prefix=the&model=nothing")]
    public async Task IdsThatAreNotRegisteredAreNotFoundAndNeverTouchTheFileSystem(string path)
    {
        var response = await app.CreateClient().GetAsync(path);

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
