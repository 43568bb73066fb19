using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Folds the TCP route stats proxies report into TCP edges (source service version -> destination service version) over
/// the same 10 s windows as the HTTP edges (<see cref="StatsAggregator"/>): connections, bytes and connect failures from
/// the calling side (OUTBOUND), so nothing is counted twice, and the connections the called side denied (INBOUND, which
/// knows the caller's service but not its version) on every edge from that service. Active connections are a gauge:
/// the sum of each proxy's latest report, a report older than the window no longer counting (a proxy that went away).
/// </summary>
public sealed class TcpStatsAggregator(TimeProvider time)
{
    /// <summary>Edges with no report for this long disappear, as HTTP edges do.</summary>
    private const long ForgetAfterSeconds = 120;

    private readonly Lock gate = new();
    private readonly Dictionary<EdgeKey, TcpWindow> edges = [];
    private readonly Dictionary<EdgeKey, (ulong Opened, ulong ReceivedBytes, ulong SentBytes)> totals = [];
    private readonly Dictionary<(string ProxyId, string Route, EdgeKey Edge), (ulong Active, long Second)> active = [];
    private readonly Dictionary<DeniedKey, TcpWindow> denied = [];

    private readonly record struct EdgeKey(string SourceService, string SourceNamespace, string SourceVersion,
        string DestinationService, string DestinationNamespace, string DestinationVersion)
    {
        public DeniedKey Denied => new(SourceService, SourceNamespace, DestinationService, DestinationNamespace, DestinationVersion);
    }

    private readonly record struct DeniedKey(string SourceService, string SourceNamespace,
        string DestinationService, string DestinationNamespace, string DestinationVersion);

    /// <summary>One proxy's validated TCP edges (see <see cref="Streams.TcpStatsValidator"/>).</summary>
    public void Record(string proxyId, IEnumerable<TcpEdgeStats> tcpEdges)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        lock (gate)
        {
            foreach (var edge in tcpEdges)
            {
                var key = new EdgeKey(edge.SourceService, edge.SourceNamespace, edge.SourceVersion,
                    edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion);
                if (edge.Direction == Direction.Outbound)
                {
                    Window(edges, key).Add(second, TcpCounts.Of(edge) with { Denied = 0 });
                    var (opened, received, sent) = totals.GetValueOrDefault(key);
                    totals[key] = (opened + edge.Opened, received + edge.ReceivedBytes, sent + edge.SentBytes);
                    active[(proxyId, edge.Route, key)] = (edge.Active, second);
                }
                else if (edge.Direction == Direction.Inbound && edge.Denied > 0)
                {
                    Window(denied, key.Denied).Add(second, new TcpCounts { Denied = edge.Denied });
                }
            }
        }
    }

    /// <summary>The complete current set of TCP edges (rates go to zero when traffic stops; an edge goes after <see cref="ForgetAfterSeconds"/>).</summary>
    public IReadOnlyList<TcpEdgeSignals> Edges()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        lock (gate)
        {
            Forget(now);
            var openNow = active.Where(a => now - a.Value.Second < SignalWindow.Seconds)
                .GroupBy(a => a.Key.Edge).ToDictionary(g => g.Key, g => g.Aggregate(0UL, (sum, a) => sum + a.Value.Active));
            var deniedNow = denied.ToDictionary(d => d.Key, d => d.Value.Sum(now).Denied);
            var list = edges.Select(pair =>
            {
                var counts = pair.Value.Sum(now) with { Denied = deniedNow.GetValueOrDefault(pair.Key.Denied) };
                var signals = Signals(pair.Key, counts, openNow.GetValueOrDefault(pair.Key));
                (signals.OpenedTotal, signals.ReceivedBytesTotal, signals.SentBytesTotal) = totals.GetValueOrDefault(pair.Key);
                return signals;
            }).ToList();
            // Denials from a service none of whose versions reported the edge (the caller's sidecar may not have reported yet).
            var reported = edges.Keys.Select(k => k.Denied).ToHashSet();
            list.AddRange(denied.Keys.Where(k => !reported.Contains(k)).Select(k =>
                Signals(new EdgeKey(k.SourceService, k.SourceNamespace, "", k.DestinationService, k.DestinationNamespace, k.DestinationVersion),
                    new TcpCounts { Denied = deniedNow[k] }, 0)));
            return list;
        }
    }

    private static TcpEdgeSignals Signals(EdgeKey key, TcpCounts counts, ulong openNow) => new()
    {
        SourceService = key.SourceService,
        SourceNamespace = key.SourceNamespace,
        SourceVersion = key.SourceVersion,
        DestinationService = key.DestinationService,
        DestinationNamespace = key.DestinationNamespace,
        DestinationVersion = key.DestinationVersion,
        WindowSeconds = SignalWindow.Seconds,
        ConnectionsPerSecond = counts.Opened / (double)SignalWindow.Seconds,
        ReceivedBytesPerSecond = counts.ReceivedBytes / (double)SignalWindow.Seconds,
        SentBytesPerSecond = counts.SentBytes / (double)SignalWindow.Seconds,
        Opened = counts.Opened,
        Closed = counts.Closed,
        ConnectFailures = counts.ConnectFailures,
        Denied = counts.Denied,
        MeanDurationMs = counts.Closed == 0 ? 0 : counts.ClosedDurationMs / (double)counts.Closed,
        Active = openNow,
    };

    private static TcpWindow Window<TKey>(Dictionary<TKey, TcpWindow> windows, TKey key) where TKey : notnull
    {
        if (!windows.TryGetValue(key, out var window)) windows[key] = window = new TcpWindow();
        return window;
    }

    private void Forget(long now)
    {
        foreach (var key in edges.Where(e => now - e.Value.LastSecond > ForgetAfterSeconds).Select(e => e.Key).ToList())
        {
            edges.Remove(key);
            totals.Remove(key);
        }
        foreach (var key in denied.Where(d => now - d.Value.LastSecond > ForgetAfterSeconds).Select(d => d.Key).ToList())
            denied.Remove(key);
        foreach (var key in active.Where(a => now - a.Value.Second > ForgetAfterSeconds).Select(a => a.Key).ToList())
            active.Remove(key);
    }
}
