using System.Text.Json;
using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Telemetry;
using Prometheus;
using Yarp.ReverseProxy;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// The admin listener (its own port, never proxied): /ready (a snapshot is serving), /snapshot
/// (applied version and hash, last apply outcome), /stats (JSON), /metrics (Prometheus),
/// /health and /alive (process up).
/// </summary>
public static class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var runtime = services.GetRequiredService<MeshRuntime>();
        var current = runtime.Current;
        switch (context.Request.Path.Value)
        {
            case "/ready":
                context.Response.StatusCode = current is null ? 503 : 200;
                await context.Response.WriteAsync(current is null ? "no snapshot" : "ready");
                break;
            case "/health" or "/alive":
                await context.Response.WriteAsync("Healthy");
                break;
            case "/snapshot":
                await context.Response.WriteAsJsonAsync(SnapshotInfo(current, services.GetRequiredService<SnapshotApplier>()), Json);
                break;
            case "/stats":
                await context.Response.WriteAsJsonAsync(Stats(services, current), Json);
                break;
            case "/metrics":
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
                break;
            default:
                context.Response.StatusCode = 404;
                break;
        }
    }

    private static object SnapshotInfo(RuntimeSnapshot? current, SnapshotApplier applier) => new
    {
        version = current?.Version ?? 0,
        hash = current?.Hash ?? "",
        source = current?.Source,
        appliedAt = current?.AppliedAt,
        proxyId = current?.Model.Identity.ProxyId,
        spiffeId = current?.Model.Identity.SpiffeId,
        lastResult = applier.LastResult,
    };

    private static object Stats(IServiceProvider services, RuntimeSnapshot? current)
    {
        var stats = services.GetRequiredService<ProxyStats>();
        var counters = services.GetRequiredService<ClusterCounterRegistry>();
        var lookup = services.GetRequiredService<IProxyStateLookup>();
        var mirror = services.GetRequiredService<MirrorSender>();
        return new
        {
            snapshot = new { version = current?.Version ?? 0, hash = current?.Hash ?? "" },
            traffic = stats.Totals().Select(t => new
            {
                direction = t.Key.Direction == Direction.Inbound ? "inbound" : "outbound",
                source = t.Key.SourceService,
                destination = t.Key.DestinationService,
                version = t.Key.DestinationVersion,
                route = t.Key.Route,
                statusClass = t.Key.StatusClass,
                requests = t.Requests,
                failures = t.Failures,
                denied = t.Denied,
            }).OrderBy(t => t.destination).ThenBy(t => t.route).ThenBy(t => t.statusClass),
            clusters = lookup.GetClusters().Where(c => c.ClusterId != YarpConfigBuilder.UnroutedCluster).Select(c =>
            {
                var counter = counters.For(c.ClusterId);
                return new
                {
                    name = c.ClusterId,
                    active = counter.Active,
                    retries = counter.Retries,
                    retryBudgetExhausted = counter.RetryBudgetExhausted,
                    overflows = counter.Overflows,
                    ejections = counter.Ejections,
                    endpoints = c.Destinations.Values.Select(d => new
                    {
                        id = d.DestinationId,
                        address = d.Model.Config.Address,
                        active = d.Health.Active.ToString(),
                        passive = d.Health.Passive.ToString(),
                        concurrentRequests = d.ConcurrentRequestCount,
                    }),
                };
            }).OrderBy(c => c.name),
            mirror = new { sent = mirror.Sent, failed = mirror.Failed, skipped = mirror.Skipped },
        };
    }
}
