using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace RnnLm.Api.Infrastructure;

/// <summary>Marks an endpoint whose body carries training text: its limit is RnnLm:MaxTrainingBytes instead of RnnLm:MaxBodyBytes.</summary>
public sealed class LargeBodyMetadata;

public static partial class ProblemDetailsSetup
{
    /// <summary>
    /// Every error is RFC 9457 problem details with a trace id; binding failures (bad JSON, wrong types, bad query
    /// values) throw instead of returning a bare 400, so <see cref="ApiExceptionHandler"/> can name the field.
    /// </summary>
    public static IServiceCollection AddApiProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var request = context.HttpContext.Request;
            var problem = context.ProblemDetails;
            // A request the server refused before reading its request line has no method or path to name.
            if (!string.IsNullOrEmpty(request.Method))
            {
                problem.Instance ??= $"{request.Method} {request.Path}";
            }

            problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);

            // Errors the framework answers without an exception still name what was wrong.
            if (problem is not HttpValidationProblemDetails && !problem.Extensions.ContainsKey("errors"))
            {
                (string Field, string Message)? error = problem.Status switch
                {
                    404 => ("route", $"No endpoint answers {request.Method} {request.Path}; see /swagger for the API."),
                    405 => ("method", $"{request.Path} does not accept {request.Method}."),
                    413 => ("body", BodyTooLarge(context.HttpContext).Detail!),
                    415 => ("Content-Type", "Send the body as JSON with Content-Type: application/json (POST /jobs also takes multipart/form-data)."),
                    _ => null,
                };
                if (error is { } e)
                {
                    problem.Detail ??= e.Message;
                    problem.Extensions["errors"] = new Dictionary<string, string[]> { [e.Field] = [e.Message] };
                }
            }

            RedactPaths(problem, context.HttpContext.RequestServices.GetRequiredService<ServerPaths>());
        });
        services.AddSingleton<ServerPaths>();
        services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>(); // after the framework's: for requests whose Accept leaves out JSON
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    // Every problem the service answers passes here: a message built from an exception or a setting may hold a server path.
    private static void RedactPaths(ProblemDetails problem, ServerPaths paths)
    {
        problem.Title = problem.Title is null ? null : paths.Redact(problem.Title);
        problem.Detail = problem.Detail is null ? null : paths.Redact(problem.Detail);
        var errors = problem is HttpValidationProblemDetails validation ? validation.Errors : (problem.Extensions.TryGetValue("errors", out var extension) ? extension : null) as IDictionary<string, string[]>;
        foreach (var field in errors?.Keys.ToArray() ?? [])
        {
            errors![field] = [.. errors[field].Select(paths.Redact)];
        }
    }

    /// <summary>Exceptions and empty error responses (404 for unknown routes, 405) become problem details.</summary>
    public static IApplicationBuilder UseApiProblemDetails(this IApplicationBuilder app) =>
        app.UseExceptionHandler().UseStatusCodePages();

    /// <summary>
    /// Bodies larger than <see cref="RnnLmOptions.MaxBodyBytes"/> get 413: at once when Content-Length says so,
    /// otherwise from the server when the body is read (a chunked upload).
    /// </summary>
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var max = BodyLimit(context);
            if (context.Request.ContentLength > max)
            {
                await WriteAsync(context, BodyTooLarge(context));
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = max;
            }

            await next(context);
        });

    /// <summary>The body limit of the request's endpoint: RnnLm:MaxTrainingBytes where training text is sent, else RnnLm:MaxBodyBytes.</summary>
    internal static long BodyLimit(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RnnLmOptions>>().Value;
        return context.GetEndpoint()?.Metadata.GetMetadata<LargeBodyMetadata>() is null ? options.MaxBodyBytes : options.MaxTrainingBytes;
    }

    internal static HttpValidationProblemDetails BodyTooLarge(HttpContext context)
    {
        var max = BodyLimit(context);
        var setting = context.GetEndpoint()?.Metadata.GetMetadata<LargeBodyMetadata>() is null ? "RnnLm:MaxBodyBytes" : "RnnLm:MaxTrainingBytes";
        return Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large", "body",
            string.Create(CultureInfo.InvariantCulture, $"The request body is larger than {max:N0} bytes ({setting})."));
    }

    internal static HttpValidationProblemDetails Problem(int status, string title, string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] }) { Status = status, Title = title, Detail = message };

    /// <summary>The same problem as an endpoint result.</summary>
    internal static ProblemHttpResult Result(int status, string title, string field, string message) =>
        TypedResults.Problem(Problem(status, title, field, message));

    internal static async Task WriteAsync(HttpContext context, ProblemDetails problem, Exception? exception = null)
    {
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await writer.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>Turns a binding failure into a problem naming the field and saying what was wrong, without .NET type names.</summary>
    internal static HttpValidationProblemDetails FromBadRequest(BadHttpRequestException exception, HttpContext context)
    {
        if (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return BodyTooLarge(context);
        }

        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return Problem(415, "Unsupported media type", "Content-Type", "Send the body as JSON with Content-Type: application/json (POST /jobs also takes multipart/form-data).");
        }

        var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        if (exception.InnerException is JsonException invalid)
        {
            var (field, message) = JsonErrors.Describe(invalid, context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType, json);
            return Problem(400, "Invalid JSON", field, message);
        }

        var text = exception.Message;
        if (BindFailure().Match(text) is { Success: true } bind)
        {
            var name = bind.Groups["name"].Value;
            var type = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IParameterBindingMetadata>().FirstOrDefault(p => p.Name == name)?.ParameterInfo.ParameterType;
            var value = ValidationErrors.Quote(bind.Groups["value"].Value);
            return Problem(400, "Invalid parameter", name, type is null ? $"{value} is not a valid value." : $"{value} is not {JsonErrors.Friendly(type, json)}.");
        }

        if (RequiredMissing().Match(text) is { Success: true } missing)
        {
            var fromBody = missing.Groups["source"].Value == "body";
            return fromBody
                ? Problem(400, "Missing body", "body", "A JSON body is required.")
                : Problem(400, "Missing parameter", missing.Groups["name"].Value, "Is required.");
        }

        if (text.StartsWith("Implicit body inferred", StringComparison.Ordinal) || (exception.InnerException is null && text.Contains("body", StringComparison.OrdinalIgnoreCase)))
        {
            return Problem(400, "Missing body", "body", "A JSON body is required.");
        }

        return Problem(exception.StatusCode, "Bad request", "request", "The request could not be read.");
    }

    [GeneratedRegex("""^Failed to bind parameter "(?<type>[^"]+) (?<name>[^" ]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    [GeneratedRegex("""^Required parameter "(?<type>[^"]+) (?<name>[^" ]+)" was not provided from (?<source>[^.]+)\.$""")]
    private static partial Regex RequiredMissing();
}

/// <summary>
/// The one place where exceptions become responses: binding failures, every <see cref="ApiException"/> (the features' domain
/// errors and storage faults, each carrying its status, title and field) and argument errors; anything else is a 500 without details.
/// </summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The exception handler cleared the endpoint; put it back so that metrics, logs and the body limit still see the route.
        if (httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint is { } endpoint)
        {
            httpContext.SetEndpoint(endpoint);
        }

        HttpValidationProblemDetails? problem = exception switch
        {
            BadHttpRequestException bad => ProblemDetailsSetup.FromBadRequest(bad, httpContext),
            ApiException api => ProblemDetailsSetup.Problem(api.StatusCode, api.Title, api.Field, api.Message),
            ArgumentException argument => ProblemDetailsSetup.Problem(400, "Invalid argument", argument.ParamName ?? "request", argument.Message),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        logger.LogDebug("{Method} {Path}: {Status} {Title}: {Detail} ({Exception})", httpContext.Request.Method, httpContext.Request.Path, problem.Status, problem.Title, problem.Detail, exception.InnerException?.Message ?? exception.Message);
        httpContext.Response.Clear();
        await ProblemDetailsSetup.WriteAsync(httpContext, problem);
        return true;
    }
}
