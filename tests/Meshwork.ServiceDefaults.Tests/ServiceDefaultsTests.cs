using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Meshwork.ServiceDefaults.Tests;

/// <summary>A real Kestrel app on a loopback port using the defaults, called over real HTTP.</summary>
public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task MapDefaultEndpoints_AllChecksHealthy_HealthAndAliveReturn200()
    {
        await using var app = await StartAppAsync([]);
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var health = await client.GetAsync("/health");
        var alive = await client.GetAsync("/alive");

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (health.StatusCode, await health.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task MapDefaultEndpoints_DependencyCheckFails_HealthIs503ButAliveIs200()
    {
        await using var app = await StartAppAsync([], services =>
            services.AddHealthChecks().AddCheck("database", () => HealthCheckResult.Unhealthy("down")));
        using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };

        var health = await client.GetAsync("/health");
        var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task AddServiceDefaults_OtlpEndpointSet_ExportsTracesAndLogsToIt()
    {
        var received = new ConcurrentBag<string>();
        await using var collector = await StartCollectorAsync(received);

        await using (var app = await StartAppAsync([
            $"--OTEL_EXPORTER_OTLP_ENDPOINT={Address(collector)}",
            "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        ]))
        {
            using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };
            Assert.Equal("hello", await client.GetStringAsync("/hello"));
            await app.StopAsync(); // disposing the providers flushes what is batched
        }

        Assert.Contains("/v1/traces", received);
        Assert.Contains("/v1/logs", received);
    }

    private static async Task<WebApplication> StartAppAsync(string[] args, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/hello", () => "hello");
        await app.StartAsync();
        return app;
    }

    /// <summary>A stand-in OTLP/HTTP collector: accepts every export and records which signal it was.</summary>
    private static async Task<WebApplication> StartCollectorAsync(ConcurrentBag<string> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var collector = builder.Build();
        collector.MapPost("/v1/{signal}", (HttpContext context) =>
        {
            received.Add(context.Request.Path.Value!);
            return Results.Ok();
        });
        await collector.StartAsync();
        return collector;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
