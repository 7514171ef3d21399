using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace RnnLm.Api.Infrastructure;

/// <summary>
/// Guards job and model-management endpoints: the request must carry RnnLm:ApiKey in the <c>X-Api-Key</c> header.
/// Without a configured key the endpoints are closed (403, saying how to set one); a missing or wrong key gets 401.
/// </summary>
public sealed class ApiKeyFilter(IOptions<RnnLmOptions> options) : IEndpointFilter
{
    public const string Header = "X-Api-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var configured = options.Value.ApiKey;
        if (string.IsNullOrEmpty(configured))
        {
            return ProblemDetailsSetup.Result(StatusCodes.Status403Forbidden, "Management is turned off", Header,
                "Job and model-management endpoints need an API key, and none is configured. Set the environment variable RnnLm__ApiKey "
                + "(configuration RnnLm:ApiKey) to a secret and send it in the X-Api-Key header.");
        }

        var sent = context.HttpContext.Request.Headers[Header].ToString();
        if (sent.Length == 0 || !Matches(sent, configured))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{Header}\"";
            return ProblemDetailsSetup.Result(StatusCodes.Status401Unauthorized, "API key required", Header,
                sent.Length == 0 ? "Send the API key in the X-Api-Key header." : "The X-Api-Key header does not hold the configured API key.");
        }

        return await next(context);
    }

    // Compares hashes, so the time taken says nothing about the key's length or its first differing character.
    private static bool Matches(string sent, string configured) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(sent)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
}

/// <summary>Marks an endpoint as needing the API key (for the OpenAPI document).</summary>
public sealed class RequiresApiKeyMetadata;

public static class ApiKeySetup
{
    /// <summary>Requires the API key on an endpoint or a group.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, ApiKeyFilter>().WithMetadata(new RequiresApiKeyMetadata());
}
