using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RnnLm.Api.Jobs;
using RnnLm.Engine.Model;
using static RnnLm.Api.Tests.JobKit;

namespace RnnLm.Api.Tests;

/// <summary>The edges of the API that every endpoint shares: the query string, JSON keys and enum values.</summary>
[Collection(ApiCollection.Name)]
public sealed class EdgeTests(RnnLmApplication app)
{
    [Theory]
    [InlineData("GET", "/next?prefix=The&prefix=jury", "prefix")]
    [InlineData("GET", "/next?top=3&top=4", "top")]
    [InlineData("GET", "/next?prefix=The&PREFIX=jury", "prefix")]
    [InlineData("GET", "/next?word=said&top=2&word=said", "word")]
    [InlineData("POST", "/score?model=tiny&model=tiny", "model")]
    public async Task ARepeatedQueryParameterIsA400NamingIt(string method, string path, string field)
    {
        var (response, problem) = await app.SendAsync(new HttpMethod(method), path, method == "POST" ? """{"text": "It said."}""" : null);

        AssertProblem(response, problem, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Single(errors.EnumerateObject());
        Assert.Equal("Is given 2 times; send it once.", Assert.Single(errors.GetProperty(field).EnumerateArray()).GetString());
    }

    [Fact]
    public async Task AnUnknownQueryParameterIsA400ListingTheParametersTheOperationDeclares()
    {
        var document = await app.GetOkAsync("/swagger/v1/swagger.json");
        var client = app.CreateManagementClient();
        var checkedOperations = 0;
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var declared = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToArray()
                    : [];
                var target = path.Name.Replace("{id}", "tiny", StringComparison.Ordinal);
                using var request = new HttpRequestMessage(new HttpMethod(operation.Name), $"{target}?bogus=1");
                var response = await client.SendAsync(request);
                var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

                AssertProblem(response, problem, HttpStatusCode.BadRequest);
                var message = Assert.Single(problem.GetProperty("errors").GetProperty("bogus").EnumerateArray()).GetString()!;
                Assert.Contains($"{operation.Name.ToUpperInvariant()} {path.Name}", message, StringComparison.Ordinal);
                Assert.Contains(declared.Length == 0 ? "takes no query parameters" : $"takes {Listed(declared)}", message, StringComparison.Ordinal);
                checkedOperations++;
            }
        }

        Assert.True(checkedOperations >= 14, $"only {checkedOperations} operations in the document");
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    public async Task EndpointsOutsideTheDocumentRefuseQueryParametersToo(string path)
    {
        var (response, problem) = await app.SendAsync(HttpMethod.Get, $"{path}?verbose=1");

        AssertProblem(response, problem, HttpStatusCode.BadRequest);
        Assert.Contains("takes no query parameters", problem.GetProperty("errors").GetProperty("verbose")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/next?prefix=The")]
    [InlineData("DELETE", "/score?model=tiny")]
    public async Task AWrongMethodWithAQueryStringIsStillA405(string method, string path)
    {
        var (response, problem) = await app.SendAsync(new HttpMethod(method), path);

        AssertProblem(response, problem, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task DeclaredQueryParametersInAnyCaseStillWork()
    {
        var next = await app.GetOkAsync("/next?Prefix=The&TOP=2&model=tiny");

        Assert.Equal(["The"], next.GetProperty("prefix").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, next.GetProperty("candidates").GetArrayLength());
    }

    [Theory]
    [InlineData("promote", "sometimes", typeof(PromotionMode))]
    [InlineData("promote", 1, typeof(PromotionMode))]
    [InlineData("output", "fancy", typeof(OutputKind))]
    [InlineData("output", true, typeof(OutputKind))]
    public async Task AnEnumFieldWithAnotherValueSaysWhichValuesAreAllowed(string field, object value, Type type)
    {
        var (response, problem) = await SubmitAsync(app.CreateManagementClient(), new Dictionary<string, object?> { ["corpus"] = "brown", ["hidden"] = 0, [field] = value });

        AssertProblem(response, problem, HttpStatusCode.BadRequest);
        // Only the enum: the body is refused as it is read, before the (also bad) hidden is looked at.
        var message = Assert.Single(problem.GetProperty("errors").EnumerateObject()).Value[0].GetString()!;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var names = Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName).ToArray();
        Assert.Equal($"Must be one of {Listed(names.Select(n => $"\"{n}\""), "or")}.", message);
    }

    [Theory]
    [InlineData("/score", """{"text": "It said.", "text": "It did."}""", "text")]
    [InlineData("/generate", """{"prefix": "It", "seed": 1, "seed": 2}""", "seed")]
    [InlineData("/tokenize", """{"text": "a", "text": "b"}""", "text")]
    [InlineData("/jobs", """{"corpus": "brown", "hidden": 8, "hidden": 16}""", "hidden")]
    public async Task ADuplicateJsonKeyIsA400NamingIt(string path, string body, string field)
    {
        var (response, problem) = await app.SendAsync(HttpMethod.Post, path, body, apiKey: RnnLmApplication.ApiKey);

        AssertProblem(response, problem, HttpStatusCode.BadRequest);
        Assert.Equal("Is given more than once; send each field once.", problem.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task ADuplicateKeyInTheSettingsOfAnUploadIsA400NamingIt()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', Corpus(50, 1)))), "train", "train.txt" },
            { new StringContent("""{"hidden": 8, "minCount": 1, "hidden": 9}"""), "settings" },
        };

        var response = await app.CreateManagementClient().PostAsync("/jobs", form);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        AssertProblem(response, problem, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("hidden", out _), problem.ToString());
    }

    internal static void AssertProblem(HttpResponseMessage response, JsonElement problem, HttpStatusCode status)
    {
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {problem}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
    }

    // "a", "a and b", "a, b and c": how the messages list names (written out here, so that a change to the wording shows).
    private static string Listed(IEnumerable<string> names, string conjunction = "and")
    {
        var all = names.ToArray();
        return all.Length == 1 ? all[0] : $"{string.Join(", ", all[..^1])} {conjunction} {all[^1]}";
    }
}
