using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace RnnLm.Api.Infrastructure;

public static class KestrelRejections
{
    /// <summary>
    /// Requests Kestrel refuses while it parses them (a malformed request line, <c>%00</c> in the path, a CR in a header,
    /// a request line over <c>Limits.MaxRequestLineSize</c>: 414, headers over <c>Limits.MaxRequestHeadersTotalSize</c> or
    /// <c>MaxRequestHeaderCount</c>: 431, an unknown HTTP version: 505) never reach the middleware pipeline, and Kestrel
    /// answers them with an empty body. Every HTTP/1.x connection gets a connection middleware that gives those answers
    /// a problem details body (<see cref="RejectedRequests"/>). Over HTTP/2 (which Kestrel speaks only with TLS, and this
    /// service leaves TLS to its proxy) Kestrel's own answers stay: an empty 431, or a reset stream or connection.
    /// </summary>
    public static IServiceCollection AddKestrelRejections(this IServiceCollection services)
    {
        services.AddSingleton<RejectedRequests>();
        services.AddOptions<KestrelServerOptions>().Configure<RejectedRequests>((options, rejected) =>
            options.ConfigureEndpointDefaults(listen => listen.Use(rejected.Watch)));
        return services;
    }
}

/// <summary>
/// Kestrel raises its <c>Microsoft.AspNetCore.Server.Kestrel.BadRequest</c> diagnostic event when it refuses a request,
/// before it writes its answer, and after that answer it closes the connection. So when the event names a connection
/// this class watches, the next bytes Kestrel writes there are that answer: a status line and headers with
/// <c>Content-Length: 0</c>. They are held back and written again with a problem details body in their place; anything
/// that does not look like that goes out unchanged.
/// </summary>
internal sealed class RejectedRequests : IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private const string BadRequestEvent = "Microsoft.AspNetCore.Server.Kestrel.BadRequest";
    private readonly ConcurrentDictionary<string, ConnectionOutput> _connections = new(StringComparer.Ordinal);
    private readonly IServiceProvider _services;
    private readonly IDisposable _subscription;

    public RejectedRequests(DiagnosticListener diagnostics, IServiceProvider services)
    {
        _services = services;
        _subscription = diagnostics.Subscribe(this, name => name == BadRequestEvent);
    }

    /// <summary>The connection middleware: watches the connection's output while Kestrel serves it.</summary>
    public ConnectionDelegate Watch(ConnectionDelegate next) => async connection =>
    {
        var output = new ConnectionOutput(connection.Transport.Output, this);
        connection.Transport = new DuplexPipe(connection.Transport.Input, output);
        _connections[connection.ConnectionId] = output;
        try
        {
            await next(connection);
        }
        finally
        {
            _connections.TryRemove(connection.ConnectionId, out _);
        }
    };

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Value is IFeatureCollection features
            && features.Get<IBadRequestExceptionFeature>()?.Error is BadHttpRequestException error
            && features.Get<IHttpConnectionFeature>()?.ConnectionId is { } id
            && features.Get<IHttpRequestFeature>() is not { Protocol: "HTTP/2" or "HTTP/3" } and not { Method: "HEAD" }
            && features.Get<IHttpResponseFeature>() is not { HasStarted: true } // an answer already under way is only cut off
            && _connections.TryGetValue(id, out var output))
        {
            output.HoldAnswerTo(error, features.Get<IHttpRequestIdentifierFeature>()?.TraceIdentifier);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose() => _subscription.Dispose();

    /// <summary>Kestrel's empty answer with a problem details body, or the bytes as they were when they are not such an answer.</summary>
    internal async Task<byte[]> RewriteAsync(ReadOnlyMemory<byte> answer, BadHttpRequestException error, string? traceId)
    {
        var text = Encoding.Latin1.GetString(answer.Span);
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || headEnd != text.Length - 4
            || !text.Contains("\r\nContent-Length: 0\r\n", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(text.AsSpan(9, 3), out var status))
        {
            return answer.ToArray();
        }

        var (contentType, body) = await ProblemAsync(status, error, traceId);
        var head = text[..headEnd].Split("\r\n").Where(line => !line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return [.. Encoding.Latin1.GetBytes($"{string.Join("\r\n", head)}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];
    }

    // Written by the same problem details service as every other error, so it has the same shape, trace id and checks.
    private async Task<(string ContentType, byte[] Body)> ProblemAsync(int status, BadHttpRequestException error, string? traceId)
    {
        var (title, field, detail) = Describe(status, error);
        using var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = _services, Response = { Body = body } };
        context.TraceIdentifier = traceId ?? context.TraceIdentifier;
        await ProblemDetailsSetup.WriteAsync(context, ProblemDetailsSetup.Problem(status, title, field, detail));
        return (context.Response.ContentType ?? "application/problem+json", body.ToArray());
    }

    // The limits are read when a request breaks them: this class is made while Kestrel's options are being configured.
    private (string Title, string Field, string Detail) Describe(int status, BadHttpRequestException error) => Describe(
        status, error, _services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits);

    private static (string Title, string Field, string Detail) Describe(int status, BadHttpRequestException error, KestrelServerLimits limits) => status switch
    {
        StatusCodes.Status414UriTooLong => ("Request line too long", "request line",
            $"The request line (method, path and query string) is longer than {limits.MaxRequestLineSize:N0} bytes. "
            + "Send long text in the body of a POST (/score, /generate, /tokenize) rather than in the query string."),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => ("Request headers too large", "headers",
            $"The request's headers add up to more than {limits.MaxRequestHeadersTotalSize:N0} bytes, or number more than "
            + $"{limits.MaxRequestHeaderCount} headers. Send fewer or shorter headers (cookies count too)."),
        StatusCodes.Status505HttpVersionNotsupported => ("HTTP version not supported", "request line",
            "This server speaks HTTP/1.1 and HTTP/1.0; send the request line as METHOD /path HTTP/1.1."),
        StatusCodes.Status408RequestTimeout => ("Request headers too slow", "headers",
            $"The request's headers did not arrive within {limits.RequestHeadersTimeout.TotalSeconds:N0} seconds."),
        _ => (status == StatusCodes.Status400BadRequest ? "Malformed request" : ReasonPhrases.GetReasonPhrase(status), "request",
            $"The server could not read the request ({Reason(error)}). Check the request line (METHOD /path HTTP/1.1, the path "
            + "percent-encoded, with no %00 or other control characters) and the headers (Name: value, with no control characters "
            + "such as a bare CR or LF); over HTTP/1.0 a body needs a Content-Length header."),
    };

    // Kestrel's own reason, without the empty quote it appends when it keeps the request's bytes to itself.
    private static string Reason(BadHttpRequestException error) => SafeText.Escape(error.Message.Replace(": ''", "", StringComparison.Ordinal).TrimEnd('.'));

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>
/// A connection's output, passed straight through, except that from the moment Kestrel reports a refused request the
/// answer it writes is held back until it is flushed, then written as <see cref="RejectedRequests.RewriteAsync"/> makes it.
/// </summary>
internal sealed class ConnectionOutput(PipeWriter inner, RejectedRequests rejected) : PipeWriter
{
    private ArrayBufferWriter<byte>? _held;
    private BadHttpRequestException? _error;
    private string? _traceId;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + (_held?.WrittenCount ?? 0);

    public void HoldAnswerTo(BadHttpRequestException error, string? traceId)
    {
        (_error, _traceId) = (error, traceId);
        _held = new ArrayBufferWriter<byte>();
    }

    public override void Advance(int bytes)
    {
        if (_held is { } held)
        {
            held.Advance(bytes);
        }
        else
        {
            inner.Advance(bytes);
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _held is { } held ? held.GetMemory(sizeHint) : inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _held is { } held ? held.GetSpan(sizeHint) : inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    // Every response on every connection flushes through here: nothing held, nothing added (no state machine, no await).
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
        _held is null ? inner.FlushAsync(cancellationToken) : ReleaseThenFlushAsync(cancellationToken);

    public override ValueTask CompleteAsync(Exception? exception = null) =>
        _held is null ? inner.CompleteAsync(exception) : ReleaseThenCompleteAsync(exception);

    public override void Complete(Exception? exception = null)
    {
        // Not flushed: goes out as Kestrel wrote it rather than blocking here while a body is made.
        if (_held is { WrittenCount: > 0 } held)
        {
            _held = null;
            inner.Write(held.WrittenSpan);
        }

        inner.Complete(exception);
    }

    private async ValueTask<FlushResult> ReleaseThenFlushAsync(CancellationToken cancellationToken)
    {
        await ReleaseAsync();
        return await inner.FlushAsync(cancellationToken);
    }

    private async ValueTask ReleaseThenCompleteAsync(Exception? exception)
    {
        await ReleaseAsync();
        await inner.CompleteAsync(exception);
    }

    private async ValueTask ReleaseAsync()
    {
        if (_held is { WrittenCount: > 0 } held && _error is { } error)
        {
            _held = null;
            inner.Write(await rejected.RewriteAsync(held.WrittenMemory, error, _traceId));
        }
    }
}
