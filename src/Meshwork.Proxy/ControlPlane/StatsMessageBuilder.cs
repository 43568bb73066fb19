using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.L4;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// Folds the proxy's per-route, per-status-class report into one delta per edge (direction,
/// source, destination version), the granularity the control plane aggregates at, and one delta
/// per route rule the calling side matched; TCP route edges go as they are (already one delta per edge).
/// </summary>
public static class StatsMessageBuilder
{
    public static Stats Build(ProxyStatsReport report)
    {
        var stats = new Stats
        {
            WindowStartUnixMs = report.From.ToUnixTimeMilliseconds(),
            WindowEndUnixMs = report.To.ToUnixTimeMilliseconds(),
        };
        var groups = report.Traffic.GroupBy(t => (t.Key.Direction,
            t.Key.SourceService, t.Key.SourceNamespace, t.Key.SourceVersion,
            t.Key.DestinationService, t.Key.DestinationNamespace, t.Key.DestinationVersion));
        foreach (var group in groups)
        {
            stats.Edges.Add(new EdgeStats
            {
                Direction = group.Key.Direction,
                SourceService = group.Key.SourceService,
                SourceNamespace = group.Key.SourceNamespace,
                SourceVersion = group.Key.SourceVersion,
                DestinationService = group.Key.DestinationService,
                DestinationNamespace = group.Key.DestinationNamespace,
                DestinationVersion = group.Key.DestinationVersion,
                Requests = (ulong)group.Sum(t => t.Requests),
                Failures = (ulong)group.Sum(t => t.Failures),
                Latency = MergeLatency(group),
            });
        }
        // Only rules of the snapshot: the proxy's own labels for unrouted requests ("none",
        // "connect", "bad-path") are not route rule names, and the inbound side does not route.
        var routes = report.Traffic
            .Where(t => t.Key.Direction == Direction.Outbound && RouteRuleName.TryParse(t.Key.Route, out _, out _, out _))
            .GroupBy(t => t.Key.Route);
        foreach (var route in routes)
        {
            stats.Routes.Add(new RouteStats
            {
                Route = route.Key,
                Requests = (ulong)route.Sum(t => t.Requests),
                Failures = (ulong)route.Sum(t => t.Failures),
                Latency = MergeLatency(route),
            });
        }
        foreach (var tcp in report.Tcp)
            stats.TcpEdges.Add(TcpEdge(tcp));
        return stats;
    }

    private static TcpEdgeStats TcpEdge(TcpTrafficStats tcp) => new()
    {
        Direction = tcp.Edge.Inbound ? Direction.Inbound : Direction.Outbound,
        SourceService = tcp.Edge.SourceService,
        SourceNamespace = tcp.Edge.SourceNamespace,
        SourceVersion = tcp.Edge.SourceVersion,
        DestinationService = tcp.Edge.DestinationService,
        DestinationNamespace = tcp.Edge.DestinationNamespace,
        DestinationVersion = tcp.Edge.DestinationVersion,
        Route = tcp.Edge.Route,
        Opened = (ulong)tcp.Opened,
        Closed = (ulong)tcp.Closed,
        Active = (ulong)Math.Max(0, tcp.Active),
        ReceivedBytes = (ulong)tcp.ReceivedBytes,
        SentBytes = (ulong)tcp.SentBytes,
        ConnectFailures = (ulong)tcp.ConnectFailures,
        Denied = (ulong)tcp.Denied,
        ClosedDurationMs = (ulong)tcp.ClosedDurationMs,
    };

    private static LatencyHistogram MergeLatency(IEnumerable<TrafficStats> cells)
    {
        var buckets = new SortedDictionary<uint, ulong>();
        foreach (var cell in cells)
            for (var i = 0; i < Math.Min(cell.Latency.Buckets.Count, cell.Latency.Counts.Count); i++)
                buckets[cell.Latency.Buckets[i]] = buckets.GetValueOrDefault(cell.Latency.Buckets[i]) + cell.Latency.Counts[i];
        var latency = new LatencyHistogram();
        latency.Buckets.AddRange(buckets.Keys);
        latency.Counts.AddRange(buckets.Values);
        return latency;
    }
}
