using System.Diagnostics.Tracing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RnnLm.Api.Tests;

/// <summary>Work the service used to do at every request for nothing: each is shown gone, and what it served kept.</summary>
public sealed class RequestOverheadTests(RnnLmApplication app) : IClassFixture<RnnLmApplication>
{
    [Fact]
    public void OneLoggerServesEachCategory()
    {
        var factory = app.Services.GetRequiredService<ILoggerFactory>();

        // ASP.NET Core's results ask for a logger at every response; Serilog's own factory made a new one each time.
        Assert.Same(factory.CreateLogger("Microsoft.AspNetCore.Http.Result.OkObjectResult"), factory.CreateLogger("Microsoft.AspNetCore.Http.Result.OkObjectResult"));
        Assert.NotSame(factory.CreateLogger("a"), factory.CreateLogger("b"));
    }

    [Fact]
    public async Task TheMetricsReadTheHostsCountersWithoutItsPerRequestEvents()
    {
        using var client = app.CreateClient();
        var metrics = await client.GetStringAsync("/metrics");
        var hosting = EventSource.GetSources().Single(source => source.Name == "Microsoft.AspNetCore.Hosting");

        Assert.Contains("http_request_duration_seconds", metrics, StringComparison.Ordinal);
        Assert.True(hosting.IsEnabled(), "nothing listens to the host's event source: its counters are not read");
        // At Informational every request's start and stop events were copied out to the metrics' listener and dropped.
        Assert.False(hosting.IsEnabled(EventLevel.Informational, EventKeywords.None));
    }
}
