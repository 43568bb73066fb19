using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meshwork.DemoApps.Backend;

/// <summary>
/// A demo service: answers every path with who it is (service, version, instance) and the request
/// it saw, with configurable latency and error rate, a /health that can be switched off, and
/// /admin endpoints to change behaviour at run time (tests flip an instance to failing and back).
/// </summary>
public static class DemoBackend
{
    public const string ServedByHeader = "x-served-by";

    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = builder.Configuration.GetSection("Demo").Get<BackendOptions>() ?? new BackendOptions();
        var state = new BackendState(options);
        builder.Services.AddSingleton(state);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("demo", () =>
            state.Options.Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("switched off via /admin/config"));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        var payload = options.BodyBytes > 0 ? Encoding.ASCII.GetBytes(new string('x', options.BodyBytes)) : [];

        app.MapPost("/admin/config", (double? errorRate, int? latencyMs, bool? healthy, int? errorStatus) =>
        {
            state.Update(errorRate, latencyMs, healthy, errorStatus);
            return Results.Ok(state.Options);
        });
        app.MapGet("/admin/stats", () => Results.Ok(new { requests = state.Requests, errors = state.Errors }));

        app.Map("/{**path}", async (HttpContext context) =>
        {
            var o = state.Options;
            context.Response.Headers[ServedByHeader] = o.Instance;
            if (o.LatencyMs > 0)
                await Task.Delay(o.LatencyMs, context.RequestAborted);
            if (state.NextFails())
            {
                context.Response.StatusCode = o.ErrorStatus;
                await context.Response.WriteAsync($"injected {o.ErrorStatus} from {o.Instance}");
                return;
            }
            if (payload.Length > 0)
            {
                context.Response.ContentType = "text/plain";
                context.Response.ContentLength = payload.Length;
                await context.Response.Body.WriteAsync(payload, context.RequestAborted);
                return;
            }
            await context.Response.WriteAsJsonAsync(new EchoResponse(
                o.Service, o.Version, o.Instance, context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
        });

        await app.RunAsync();
    }
}

/// <summary>What a demo service answers: who served the request and what it received.</summary>
public sealed record EchoResponse(string Service, string Version, string Instance, string Method, string Path, IReadOnlyDictionary<string, string> Headers);
