using Meshwork.Protocol.Mesh;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Receives the proxy's traffic statistics once a second (the control-plane client sends them up).
/// Register implementations in DI; each is called on the reporting loop, so return quickly.
/// </summary>
public interface IProxyStatsSubscriber
{
    ValueTask OnStatsAsync(ProxyStatsReport report, CancellationToken cancellationToken);
}

/// <summary>Traffic seen since the previous report (deltas, not totals).</summary>
public sealed record ProxyStatsReport
{
    public required string ProxyId { get; init; }
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    public IReadOnlyList<TrafficStats> Traffic { get; init; } = [];

    /// <summary>TCP route connections per edge (<see cref="L4.TcpMetrics.Drain"/>): edges with changes or open connections.</summary>
    public IReadOnlyList<L4.TcpTrafficStats> Tcp { get; init; } = [];

    /// <summary>Snapshot serving when the report was taken.</summary>
    public long SnapshotVersion { get; init; }
    public string SnapshotHash { get; init; } = "";
}

/// <summary>One edge/route/status-class cell over the interval.</summary>
public sealed record TrafficStats
{
    public required TrafficKey Key { get; init; }
    public long Requests { get; init; }

    /// <summary>5xx responses, timeouts, resets and connection failures (status class "5xx" or "0xx"), and gRPC calls that ended with a status other than OK.</summary>
    public long Failures { get; init; }

    /// <summary>Requests refused by an access policy (403 with x-meshwork-denied-by).</summary>
    public long Denied { get; init; }

    /// <summary>Sparse histogram over the shared Meshwork.Protocol.Stats.LatencyBuckets (mergeable fleet-wide).</summary>
    public required LatencyHistogram Latency { get; init; }
}

/// <param name="Direction">Outbound (measured by the caller's proxy, also the gateway) or inbound (by the callee's).</param>
/// <param name="StatusClass">"2xx", "3xx", "4xx", "5xx" (or "0xx" when no response was produced).</param>
/// <param name="GrpcStatus">A gRPC call's status code ("0"-"16", <see cref="Routing.GrpcProtocol.StatusLabel"/>); "" for other requests and calls that ended without one.</param>
public readonly record struct TrafficKey(
    Direction Direction,
    string SourceService, string SourceNamespace, string SourceVersion,
    string DestinationService, string DestinationNamespace, string DestinationVersion,
    string Route, string StatusClass, string GrpcStatus = "")
{
    /// <summary>A failed request: 5xx, no response (0xx), or a gRPC call with a status other than OK (which travels with HTTP 200).</summary>
    public bool IsFailure => StatusClass is "5xx" or "0xx" || Routing.GrpcProtocol.IsError(GrpcStatus);
}
