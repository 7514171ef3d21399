using System.Text;
using System.Text.Json;

namespace RnnLm.Api.Tests.BadInput;

/// <summary>Sends cases through the test server and reads what comes back (an event stream only up to its first event).</summary>
internal sealed class CaseSender(HttpClient client, TimeSpan timeout)
{
    private const int MaxBodyRead = 1 << 20;

    /// <summary>The case as an HTTP request; null when the client itself refuses it (a header it will not carry).</summary>
    public static HttpRequestMessage? ToRequest(HttpCase request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(request.Target, UriKind.Relative));
        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Dispose();
                return null;
            }
        }

        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null && !message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType))
            {
                message.Dispose();
                return null;
            }
        }

        return message;
    }

    /// <summary>The answer, or null when the client refused to send the request.</summary>
    public async Task<Observed?> SendAsync(HttpCase request)
    {
        using var message = ToRequest(request);
        if (message is null)
        {
            return null;
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var body = await ReadAsync(response, mediaType == "text/event-stream", deadline.Token);
            return new Observed((int)response.StatusCode, mediaType, body, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new Observed(0, null, "", $"no answer within {timeout.TotalSeconds:0} s");
        }
        catch (InvalidOperationException e) when (e.StackTrace?.Contains("PathString.FromUriComponent", StringComparison.Ordinal) == true)
        {
            // The test server cannot carry a path with %00 at all (Kestrel answers it itself, tested elsewhere): not sent.
            return null;
        }
        catch (Exception e)
        {
            // The test server hands an exception the application did not handle to the client: the worst answer of all.
            return new Observed(0, null, "", $"unhandled {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    // The whole body (up to 1 MiB); for an event stream, only up to the end of its first event, which is all a case needs.
    private static async Task<string> ReadAsync(HttpResponseMessage response, bool eventStream, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var bytes = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while (bytes.Length < MaxBodyRead && (read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            bytes.Write(buffer, 0, read);
            if (eventStream && Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length).Contains("\n\n", StringComparison.Ordinal))
            {
                break;
            }
        }

        return Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    /// <summary>Ids in a successful JSON answer ("id", "modelId", "activeId", ...): path and query values the service will recognise.</summary>
    public static IEnumerable<string> Ids(Observed answer)
    {
        if (answer.Status is < 200 or >= 300 || answer.MediaType != "application/json" || !JNode.IsJson(answer.Body))
        {
            return [];
        }

        var ids = new List<string>();
        Collect(JsonDocument.Parse(answer.Body).RootElement, 0);
        return ids;

        void Collect(JsonElement element, int depth)
        {
            if (depth > 6)
            {
                return;
            }

            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if ((property.Name == "id" || property.Name.EndsWith("Id", StringComparison.Ordinal)) && property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 and <= 64 } id)
                    {
                        ids.Add(id);
                    }

                    Collect(property.Value, depth + 1);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray().Take(50))
                {
                    Collect(item, depth + 1);
                }
            }
        }
    }
}
