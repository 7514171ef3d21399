using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Primitives;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Holds every request's query string to what its endpoint declares: a parameter the endpoint does not take, or one
/// given more than once (which binding would otherwise join with commas, or refuse with a message about numbers), is a
/// 400 naming it. What an endpoint takes is read from its own metadata, the same description the OpenAPI document is
/// made from; an endpoint without one (health checks, metrics) takes no query parameters.
/// </summary>
public static class QueryParameters
{
    /// <summary>Checks the query string once the endpoint is known and before anything binds it.</summary>
    public static IApplicationBuilder UseQueryParameterCheck(this IApplicationBuilder app)
    {
        var declared = new DeclaredQueryParameters(app.ApplicationServices.GetRequiredService<IApiDescriptionGroupCollectionProvider>());
        return app.Use(async (context, next) =>
        {
            // Only routes: the endpoint that answers 405 for a known path and a wrong method has no parameters to hold to.
            var method = HttpMethods.GetCanonicalizedValue(context.Request.Method);
            if (context.Request.Query.Count > 0 && context.GetEndpoint() is RouteEndpoint endpoint
                && Check(context.Request.Query, declared.For(endpoint, method), method, endpoint) is { } problem)
            {
                await ProblemDetailsSetup.WriteAsync(context, problem);
                return;
            }

            await next(context);
        });
    }

    // Every request with a query string comes here: the errors, the sentences and the operation's name are made only once a
    // parameter is wrong.
    private static HttpValidationProblemDetails? Check(IQueryCollection query, IReadOnlyDictionary<string, Declared> parameters, string method, RouteEndpoint endpoint)
    {
        ValidationErrors? errors = null;
        List<string>? sentences = null;
        foreach (var (name, values) in query)
        {
            var known = parameters.GetValueOrDefault(name);
            var problem = known is null
                ? $"not a query parameter of {method} {Route(endpoint)}; it {(parameters.Count == 0 ? "takes no query parameters" : $"takes {ValidationErrors.Listed(parameters.Values.Select(p => p.Name))}")}."
                : values.Count > 1 && !known.Repeatable ? $"given {values.Count} times; send it once."
                : null;
            if (problem is not null)
            {
                // Named as declared when it is known ("prefix" for "PREFIX"), else as sent, cut short.
                (errors ??= new()).Add(known?.Name ?? (name.Length == 0 ? "(empty name)" : name.Length > 80 ? name[..80] + "…" : name), $"Is {problem}");
                (sentences ??= []).Add($"{ValidationErrors.Quote(name)} is {problem}");
            }
        }

        return errors is null || sentences is null ? null : new HttpValidationProblemDetails(errors.ToDictionary())
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid query string",
            Detail = string.Join(" ", sentences.Take(3)),
        };
    }

    // "/models/" (a group's root) reads as the document writes it: "/models".
    private static string Route(RouteEndpoint endpoint) =>
        endpoint.RoutePattern.RawText is { Length: > 1 } raw ? raw.TrimEnd('/') : endpoint.RoutePattern.RawText ?? "/";

    /// <summary>The query parameters of each endpoint and method (name → whether it may repeat), found once for each.</summary>
    private sealed class DeclaredQueryParameters(IApiDescriptionGroupCollectionProvider descriptions)
    {
        private readonly ConcurrentDictionary<(Endpoint, string), IReadOnlyDictionary<string, Declared>> _known = new();

        public IReadOnlyDictionary<string, Declared> For(Endpoint endpoint, string method) => _known.GetOrAdd((endpoint, method), key => Find(key.Item1, key.Item2));

        // The description of the same handler and method (and, should one handler serve two routes, the same route).
        private Dictionary<string, Declared> Find(Endpoint endpoint, string method)
        {
            var handler = endpoint.Metadata.GetMetadata<MethodInfo>();
            var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText?.TrimStart('/');
            var description = handler is null ? null : descriptions.ApiDescriptionGroups.Items.SelectMany(group => group.Items)
                .Where(d => string.Equals(d.HttpMethod, method, StringComparison.OrdinalIgnoreCase) && d.ActionDescriptor.EndpointMetadata.Contains(handler))
                .OrderByDescending(d => d.RelativePath == route)
                .FirstOrDefault();
            return (description?.ParameterDescriptions ?? [])
                .Where(p => p.Source == BindingSource.Query)
                .ToDictionary(p => p.Name, p => new Declared(p.Name, Repeatable(p.Type)), StringComparer.OrdinalIgnoreCase);
        }

        // Arrays and lists bind every value; anything else binds one.
        private static bool Repeatable(Type? type) =>
            type is not null && type != typeof(string) && (type == typeof(StringValues) || typeof(IEnumerable).IsAssignableFrom(type));
    }

    private sealed record Declared(string Name, bool Repeatable);
}
