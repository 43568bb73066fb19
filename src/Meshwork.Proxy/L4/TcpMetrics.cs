using System.Collections.Concurrent;
using Prometheus;

namespace Meshwork.Proxy.L4;

/// <summary>
/// The TCP relay's Prometheus metrics, named as Istio names its TCP metrics (connections opened, bytes each
/// way, here with the connection duration) and labelled like the HTTP ones, so a dashboard joins them:
/// direction, source, destination service and version, and the TcpRoute (outbound; "" inbound).
/// Received bytes come from the side that opened the connection, sent bytes go back to it. The same counts per
/// edge are kept in memory for the admin /stats document (<see cref="Totals"/>), with the connections open now.
/// </summary>
public static class TcpMetrics
{
    private static readonly string[] Labels = ["direction", "source_service", "destination_service", "destination_version", "route"];

    public static readonly Counter Connections = Metrics.CreateCounter(
        "meshwork_proxy_tcp_connections_total", "TCP connections relayed, by edge and route", Labels);

    public static readonly Counter ReceivedBytes = Metrics.CreateCounter(
        "meshwork_proxy_tcp_received_bytes_total", "Bytes received from the side that opened the connection", Labels);

    public static readonly Counter SentBytes = Metrics.CreateCounter(
        "meshwork_proxy_tcp_sent_bytes_total", "Bytes sent back to the side that opened the connection", Labels);

    public static readonly Histogram Duration = Metrics.CreateHistogram(
        "meshwork_proxy_tcp_connection_duration_seconds", "How long relayed TCP connections stayed open, seconds", new HistogramConfiguration
        {
            LabelNames = Labels,
            Buckets = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600],
        });

    /// <summary>reason: denied (an access policy), no_endpoint, overflow (the cluster's maxConnections), connect_failed.</summary>
    public static readonly Counter Refused = Metrics.CreateCounter(
        "meshwork_proxy_tcp_refused_total", "TCP connections closed without being relayed, by reason", [.. Labels, "reason"]);

    /// <summary>reason: idle_timeout (no bytes either way for the destination's connectionPool.tcpIdleTimeout).</summary>
    public static readonly Counter Closed = Metrics.CreateCounter(
        "meshwork_proxy_tcp_closed_total", "Relayed TCP connections the proxy closed itself, by reason", [.. Labels, "reason"]);

    public const string Overflow = "overflow";

    private static readonly ConcurrentDictionary<TcpEdge, TcpEdgeTotals> totals = new();

    /// <summary>Every edge that relayed or overflowed a connection since the proxy started.</summary>
    public static IEnumerable<KeyValuePair<TcpEdge, TcpEdgeTotals>> Totals => totals;

    /// <summary>The relay is connected to its destination: the connection counts as opened and stays active until <see cref="Record"/>.</summary>
    public static void Opened(TcpEdge edge)
    {
        var edgeTotals = TotalsOf(edge);
        Interlocked.Increment(ref edgeTotals.Connections);
        Interlocked.Increment(ref edgeTotals.Active);
    }

    /// <summary>An <see cref="Opened"/> connection ended.</summary>
    public static void Record(TcpEdge edge, RelayOutcome outcome, TimeSpan duration)
    {
        var edgeTotals = TotalsOf(edge);
        Interlocked.Decrement(ref edgeTotals.Active);
        Interlocked.Add(ref edgeTotals.ReceivedBytes, outcome.Received);
        Interlocked.Add(ref edgeTotals.SentBytes, outcome.Sent);
        if (outcome.IdleTimedOut)
            Interlocked.Increment(ref edgeTotals.IdleClosed);
        string[] labels = edge.Labels;
        Connections.WithLabels(labels).Inc();
        ReceivedBytes.WithLabels(labels).Inc(outcome.Received);
        SentBytes.WithLabels(labels).Inc(outcome.Sent);
        Duration.WithLabels(labels).Observe(duration.TotalSeconds);
        if (outcome.IdleTimedOut)
            Closed.WithLabels([.. labels, "idle_timeout"]).Inc();
    }

    public static void CountRefused(TcpEdge edge, string reason)
    {
        Refused.WithLabels([.. edge.Labels, reason]).Inc();
        if (reason == Overflow)
            Interlocked.Increment(ref TotalsOf(edge).Overflow);
    }

    private static TcpEdgeTotals TotalsOf(TcpEdge edge) => totals.GetOrAdd(edge, static _ => new TcpEdgeTotals());
}

/// <summary>One edge's counts since the proxy started (bytes are added when a connection ends, as in Prometheus).</summary>
public sealed class TcpEdgeTotals
{
    public long Connections;
    public long Active;
    public long ReceivedBytes;
    public long SentBytes;
    public long Overflow;
    public long IdleClosed;
}

/// <summary>Who a relayed connection is between, as the metrics label it.</summary>
public readonly record struct TcpEdge(bool Inbound, string SourceService, string DestinationService, string DestinationVersion, string Route)
{
    public string[] Labels => [Inbound ? "inbound" : "outbound", SourceService, DestinationService, DestinationVersion, Route];
}
