using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace RnnLm.Api.Tests;

/// <summary>
/// Requests the HTTP server refuses before the application sees them, sent as raw bytes to a real Kestrel listener on
/// the loopback interface (the test server has no HTTP parser): every answer is problem details a user can act on.
/// </summary>
public sealed partial class KestrelTests(KestrelTests.Server server) : IClassFixture<KestrelTests.Server>
{
    private static readonly KestrelServerLimits Limits = new KestrelServerOptions().Limits;

    public static TheoryData<string, string, int, string> Refused() => new()
    {
        { "a NUL in the path", "GET /next%00x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "control characters" },
        { "a CR inside a header value", "GET /next HTTP/1.1\r\nHost: a\r\nX-Note: one\rtwo\r\n\r\n", 400, "bare CR" },
        { "a header without a colon", "GET /next HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", 400, "header" },
        { "not HTTP at all", "HELLO\r\n\r\n", 400, "METHOD /path HTTP/1.1" },
        { "a request line over the limit", $"GET /next?prefix={new string('a', Limits.MaxRequestLineSize)} HTTP/1.1\r\nHost: a\r\n\r\n", 414, Bytes(Limits.MaxRequestLineSize) },
        { "headers over the limit", $"GET /next HTTP/1.1\r\nHost: a\r\nX-Big: {new string('b', Limits.MaxRequestHeadersTotalSize)}\r\n\r\n", 431, Bytes(Limits.MaxRequestHeadersTotalSize) },
        { "too many headers", $"GET /next HTTP/1.1\r\nHost: a\r\n{string.Concat(Enumerable.Range(0, Limits.MaxRequestHeaderCount + 1).Select(i => $"X-{i}: {i}\r\n"))}\r\n", 431, $"{Limits.MaxRequestHeaderCount} headers" },
        { "an HTTP version the server does not speak", "GET /next HTTP/1.7\r\nHost: a\r\n\r\n", 505, "HTTP/1.1" },
        { "a body without a length over HTTP/1.0", "POST /score HTTP/1.0\r\nHost: a\r\nContent-Type: application/json\r\n\r\n{}", 400, "needs a Content-Length" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task ARequestTheServerRefusesGetsProblemDetailsSayingWhatToFix(string name, string request, int status, string advice)
    {
        var answer = await server.SendAsync(request);

        var (line, headers, body) = LastResponse(answer);
        Assert.True(line.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{name}: {answer}");
        Assert.Equal("application/problem+json", headers["Content-Type"]);
        Assert.Equal(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture), headers["Content-Length"]);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), body);
        Assert.Contains(advice, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
    }

    [Fact]
    public async Task ARefusedRequestAfterAGoodOneOnTheSameConnectionGetsProblemDetailsToo()
    {
        var answer = await server.SendAsync("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\nGET /next%00 HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        var (line, headers, body) = LastResponse(answer);
        Assert.StartsWith("HTTP/1.1 400 ", line, StringComparison.Ordinal);
        Assert.Equal("application/problem+json", headers["Content-Type"]);
        Assert.Equal(400, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task RequestsTheServerAcceptsAreAnsweredAsBeforeOnAKeptAliveConnection()
    {
        using var client = new HttpClient { BaseAddress = server.Address };

        for (var i = 0; i < 3; i++)
        {
            var document = await client.GetStringAsync("/swagger/v1/swagger.json");
            var next = await client.GetAsync("/next?prefix=The&top=3");
            var problem = await client.GetAsync("/next?top=0");

            Assert.Equal("RnnLm API", JsonDocument.Parse(document).RootElement.GetProperty("info").GetProperty("title").GetString());
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            Assert.Equal(3, JsonDocument.Parse(await next.Content.ReadAsStringAsync()).RootElement.GetProperty("candidates").GetArrayLength());
            Assert.Equal(HttpStatusCode.BadRequest, problem.StatusCode);
        }
    }

    private static string Bytes(int count) => count.ToString("N0", CultureInfo.InvariantCulture) + " bytes";

    // The last response on the connection: the status line, its headers and its body.
    private static (string Line, Dictionary<string, string> Headers, string Body) LastResponse(string answer)
    {
        var start = StatusLine().Matches(answer).LastOrDefault();
        Assert.True(start is not null, $"no response: {answer}");
        var response = answer[start.Index..];
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = response[..end].Split("\r\n");
        var headers = head.Skip(1).Select(h => h.Split(": ", 2)).ToDictionary(h => h[0], h => h[1], StringComparer.OrdinalIgnoreCase);
        return (head[0], headers, response[(end + 4)..]);
    }

    [GeneratedRegex(@"HTTP/1\.1 \d{3} ")]
    private static partial Regex StatusLine();

    /// <summary>The API on a real Kestrel listener at a free loopback port.</summary>
    public sealed class Server : IDisposable
    {
        private readonly RnnLmApplication _app = new();

        public Server()
        {
            _app.UseKestrel(0);
            _app.StartServer();
            var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Address = new Uri(address);
        }

        public Uri Address { get; }

        /// <summary>Sends raw bytes and reads everything the server answers until it closes the connection (at most 10 s).</summary>
        public async Task<string> SendAsync(string request)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Address.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var answer = new MemoryStream();
            try
            {
                await stream.CopyToAsync(answer, timeout.Token);
            }
            catch (IOException)
            {
                // The server may reset the connection after its answer when part of the request was never read.
            }

            return Encoding.UTF8.GetString(answer.ToArray());
        }

        public void Dispose() => _app.Dispose();
    }
}
