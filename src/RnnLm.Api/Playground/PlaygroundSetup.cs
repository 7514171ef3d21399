namespace RnnLm.Api.Playground;

/// <summary>
/// The playground at <c>/</c>: static HTML, CSS and JavaScript modules from wwwroot, built only on the public HTTP API (no
/// build step, nothing loaded from elsewhere). Routes are matched first, so a file never shadows an endpoint.
/// </summary>
public static class PlaygroundSetup
{
    public static IApplicationBuilder UsePlayground(this IApplicationBuilder app) =>
        app.UseDefaultFiles().UseStaticFiles(new StaticFileOptions
        {
            // Always revalidated: an upgraded service must not meet a browser holding last version's modules.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
}
