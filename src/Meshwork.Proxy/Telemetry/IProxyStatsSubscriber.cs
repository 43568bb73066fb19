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

    /// <summary>Snapshot serving when the report was taken.</summary>
    public long SnapshotVersion { get; init; }
    public string SnapshotHash { get; init; } = "";
}

/// <summary>One edge/route/status-class cell: request count and latency histogram over the interval.</summary>
public sealed record TrafficStats
{
    public required TrafficKey Key { get; init; }
    public long Requests { get; init; }

    /// <summary>Requests refused by an access policy (403 with x-meshwork-denied-by).</summary>
    public long Denied { get; init; }

    public double LatencySumMs { get; init; }

    /// <summary>Counts per bucket of <see cref="LatencyBuckets.UpperBoundsMs"/>; the extra last bucket is +Inf.</summary>
    public IReadOnlyList<long> LatencyBucketCounts { get; init; } = [];
}

/// <param name="Direction">"outbound", "inbound" or "gateway".</param>
/// <param name="StatusClass">"2xx", "3xx", "4xx", "5xx" (or "0xx" when no response was produced).</param>
public readonly record struct TrafficKey(
    string Direction, string SourceService, string DestinationService, string DestinationVersion, string Route, string StatusClass);

public static class LatencyBuckets
{
    /// <summary>Histogram bucket upper bounds in milliseconds (Prometheus-style, cumulative in /metrics).</summary>
    public static readonly IReadOnlyList<double> UpperBoundsMs = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
}
