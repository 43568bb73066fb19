using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meshwork.DemoApps.Backend;

/// <summary>
/// What every demo app shares (the echo backend and each role of the demo shop): settings from the
/// "Demo" section, a /health that can be switched off, the knobs (latency, error rate) applied to
/// every request but /admin and the health endpoints, and /admin endpoints to turn them at run time,
/// so a test or a rollout demo can make one version slow or failing without a restart.
/// </summary>
public static class DemoHost
{
    public const string ServedByHeader = "x-served-by";

    public static (WebApplication App, BackendState State) Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = builder.Configuration.GetSection("Demo").Get<BackendOptions>() ?? new BackendOptions();
        var state = new BackendState(options);
        builder.Services.AddSingleton(state);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("demo", () =>
            state.Options.Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("switched off via /admin/config"));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPost("/admin/config", (double? errorRate, int? latencyMs, bool? healthy, int? errorStatus) =>
        {
            if (errorStatus is < 100 or > 599)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["errorStatus"] = [$"must be an HTTP status code (100-599), got {errorStatus}"] });
            if (errorRate is < 0 or > 1)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["errorRate"] = [$"must be a share between 0 and 1, got {errorRate}"] });
            if (latencyMs is < 0)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["latencyMs"] = [$"must be 0 or more milliseconds, got {latencyMs}"] });
            state.Update(errorRate, latencyMs, healthy, errorStatus);
            return Results.Ok(state.Options);
        });
        app.MapGet("/admin/config", () => Results.Ok(state.Options));
        app.MapGet("/admin/stats", () => Results.Ok(new { requests = state.Requests, errors = state.Errors }));
        app.Use((HttpContext context, RequestDelegate next) => IsControlPath(context.Request.Path) ? next(context) : ApplyKnobsAsync(context, state, next));
        return (app, state);
    }

    private static bool IsControlPath(PathString path) =>
        path.StartsWithSegments("/admin") || path.StartsWithSegments("/health") || path.StartsWithSegments("/alive");

    // The latency comes first, so a failing version is slow as well when both are set (as a
    // struggling service usually is); an injected error never reaches the app's own handler.
    private static async Task ApplyKnobsAsync(HttpContext context, BackendState state, RequestDelegate next)
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
        await next(context);
    }
}
