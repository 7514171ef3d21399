using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RnnLm.Api.Infrastructure;

namespace RnnLm.Api.Tests;

/// <summary>
/// The API as it ships: its own configuration, so the shipped model (<c>models/brown-default.rnnlm</c>) and the default limits,
/// with a throwaway data directory and an API key. What the docs and the OpenAPI document show comes from this one.
/// </summary>
public sealed class ShippedModelApplication : WebApplicationFactory<Program>
{
    public const string ApiKey = "docs-key";

    private readonly string _folder = Directory.CreateTempSubdirectory("rnnlm-shipped-").FullName;

    /// <summary>The API project's folder, from which its configured paths are resolved.</summary>
    public string ContentRoot => Services.GetRequiredService<IHostEnvironment>().ContentRootPath;

    /// <summary>A file of the repository, found from the API project's folder upwards as the service finds its model.</summary>
    public string RepositoryFile(string name) => RnnLmOptionsSetup.Resolve(name, ContentRoot);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environments.Production);
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RnnLm:DataDirectory"] = Path.Combine(_folder, "data"),
            ["RnnLm:ApiKey"] = ApiKey,
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
