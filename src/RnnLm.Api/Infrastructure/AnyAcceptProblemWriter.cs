using System.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// The framework's problem details writer declines when a request's Accept leaves out JSON (<c>text/html</c>,
/// <c>text/event-stream</c>, ...); errors then came back as plain text, or an exception handler found no writer and the
/// client got an empty 500. Problem details are this API's one error format, so this writer, registered after the
/// framework's, writes them whatever Accept says: the same defaults, the same customization, the same JSON.
/// </summary>
internal sealed class AnyAcceptProblemWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        var status = problem.Status ?? http.Response.StatusCode;
        var defaults = TypedResults.Problem(statusCode: status).ProblemDetails; // the framework's type and title for this status
        problem.Status ??= status;
        problem.Type ??= defaults.Type;
        problem.Title ??= defaults.Title;
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json"));
    }
}
