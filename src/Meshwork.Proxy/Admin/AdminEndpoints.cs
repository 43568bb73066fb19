using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.L4;
using Meshwork.Proxy.ControlPlane;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Telemetry;
using Meshwork.Proxy.Transport;
using Prometheus;
using Yarp.ReverseProxy;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// The admin listener (its own port, never proxied): /ready (a snapshot is serving and the proxy is
/// not draining before a stop), /snapshot (applied version and hash, last apply outcome), /stats
/// (JSON), /metrics (Prometheus), /health and /alive (process up).
/// </summary>
public static class AdminEndpoints
{
    public static async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var runtime = services.GetRequiredService<MeshRuntime>();
        var current = runtime.Current;
        switch (context.Request.Path.Value)
        {
            case "/ready":
                var draining = services.GetService<DrainOnStop>() is { Draining: true };
                context.Response.StatusCode = current is null || draining ? 503 : 200;
                await context.Response.WriteAsync(draining ? "draining" : current is null ? "no snapshot" : "ready");
                break;
            case "/health" or "/alive":
                await context.Response.WriteAsync("Healthy");
                break;
            case "/snapshot":
                await context.Response.WriteAsJsonAsync(Snapshot(current, services.GetRequiredService<SnapshotApplier>()), AdminJsonContext.Default.SnapshotInfo);
                break;
            case "/stats":
                await context.Response.WriteAsJsonAsync(Stats(services, current), AdminJsonContext.Default.StatsDocument);
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

    private static SnapshotInfo Snapshot(RuntimeSnapshot? current, SnapshotApplier applier) => new(
        Version: current?.Version ?? 0,
        Hash: current?.Hash ?? "",
        Source: current?.Source,
        AppliedAt: current?.AppliedAt,
        ProxyId: current?.Model.Identity.ProxyId,
        SpiffeId: current?.Model.Identity.SpiffeId,
        LastResult: applier.LastResult);

    private static StatsDocument Stats(IServiceProvider services, RuntimeSnapshot? current)
    {
        var stats = services.GetRequiredService<ProxyStats>();
        var counters = services.GetRequiredService<ClusterCounterRegistry>();
        var lookup = services.GetRequiredService<IProxyStateLookup>();
        var mirror = services.GetRequiredService<MirrorSender>();
        return new StatsDocument(
            Snapshot: new SnapshotVersion(current?.Version ?? 0, current?.Hash ?? ""),
            Transport: services.GetService<EpollLoops>() is null ? "sockets" : "epoll",
            ControlPlane: services.GetService<ControlPlaneSnapshotSource>() is { } controlPlane
                ? new ControlPlaneLink(controlPlane.Address, controlPlane.IsConnected, controlPlane.LastError)
                : null,
            Traffic: stats.Totals().Select(t => new TrafficTotals(
                Direction: t.Key.Direction == Direction.Inbound ? "inbound" : "outbound",
                Source: t.Key.SourceService,
                Destination: t.Key.DestinationService,
                Version: t.Key.DestinationVersion,
                Route: t.Key.Route,
                StatusClass: t.Key.StatusClass,
                GrpcStatus: t.Key.GrpcStatus,
                Requests: t.Requests,
                Failures: t.Failures,
                Denied: t.Denied)).OrderBy(t => t.Destination).ThenBy(t => t.Route).ThenBy(t => t.StatusClass),
            Tcp: TcpMetrics.FlushedTotals().Select(t => new TcpTotals(
                Direction: t.Key.Inbound ? "inbound" : "outbound",
                Source: t.Key.SourceService,
                Destination: t.Key.DestinationService,
                Version: t.Key.DestinationVersion,
                Route: t.Key.Route,
                Connections: Interlocked.Read(ref t.Value.Connections),
                Active: Interlocked.Read(ref t.Value.Active),
                ReceivedBytes: Interlocked.Read(ref t.Value.ReceivedBytes),
                SentBytes: Interlocked.Read(ref t.Value.SentBytes),
                Overflow: Interlocked.Read(ref t.Value.Overflow),
                IdleClosed: Interlocked.Read(ref t.Value.IdleClosed))).OrderBy(t => t.Destination).ThenBy(t => t.Version).ThenBy(t => t.Route).ThenBy(t => t.Direction),
            Clusters: lookup.GetClusters().Where(c => c.ClusterId != YarpConfigBuilder.UnroutedCluster).Select(c =>
            {
                var counter = counters.For(c.ClusterId);
                return new ClusterStats(
                    Name: c.ClusterId,
                    Active: counter.Active,
                    Retries: counter.Retries,
                    RetryBudgetExhausted: counter.RetryBudgetExhausted,
                    Overflows: counter.Overflows,
                    Ejections: counter.Ejections,
                    PeerIdentityRefused: counter.PeerIdentityRefused,
                    MirrorActive: counter.ActiveMirrors,
                    MirrorDropped: counter.MirrorsDropped,
                    Endpoints: c.Destinations.Values.Select(d => new EndpointStats(
                        Id: d.DestinationId,
                        Address: d.Model.Config.Address,
                        Active: d.Health.Active.ToString(),
                        Passive: d.Health.Passive.ToString(),
                        ConcurrentRequests: d.ConcurrentRequestCount)));
            }).OrderBy(c => c.Name),
            Mirror: new MirrorStats(mirror.Sent, mirror.Failed, mirror.Skipped, mirror.Dropped),
            Tap: TapState(services.GetRequiredService<RequestTap>()),
            Http1: services.GetRequiredService<LeanHttp1>() is var lean && lean.Installed
                ? new Http1Stats("lean", lean.LeanRequests, lean.HandedOver, services.GetRequiredService<LeanUpstreamPool>().IdleCount)
                : new Http1Stats("kestrel", 0, 0, 0));
    }

    private static TapStats TapState(RequestTap tap)
    {
        var current = tap.Current;
        return new TapStats(current is not null, current?.TapId, current?.MaxSamplesPerSecond ?? 0, tap.Sampled, tap.RateLimited, tap.Dropped);
    }
}
