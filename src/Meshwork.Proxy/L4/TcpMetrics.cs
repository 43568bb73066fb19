using System.Collections.Concurrent;
using Prometheus;

namespace Meshwork.Proxy.L4;

/// <summary>
/// The TCP relay's Prometheus metrics, named as Istio names its TCP metrics (connections opened, bytes each
/// way, here with the connection duration) and labelled like the HTTP ones, so a dashboard joins them:
/// direction, source, destination service and version, and the TcpRoute (outbound; "" inbound).
/// Received bytes come from the side that opened the connection, sent bytes go back to it; the bytes of open
/// connections are added at every scrape, stats report and /stats read (<see cref="Flush"/>), not only when they end.
/// The same counts per edge are kept in memory (<see cref="Totals"/>) for the admin /stats document and the control
/// plane's stats report (<see cref="Drain"/>), with the connections open now.
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

    public static readonly Gauge Active = Metrics.CreateGauge(
        "meshwork_proxy_tcp_active_connections", "Relayed TCP connections open now", Labels);

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
    public const string Denied = "denied";

    private static readonly ConcurrentDictionary<TcpEdge, TcpEdgeTotals> totals = new();
    private static readonly ConcurrentDictionary<TcpConnectionMeter, bool> open = new();
    private static readonly Lock draining = new();

    static TcpMetrics() => Metrics.DefaultRegistry.AddBeforeCollectCallback(Flush);

    /// <summary>Every edge that relayed or refused a connection since the proxy started.</summary>
    public static IEnumerable<KeyValuePair<TcpEdge, TcpEdgeTotals>> Totals => totals;

    /// <summary><see cref="Totals"/> with the bytes of open connections up to now (the admin /stats document).</summary>
    public static IEnumerable<KeyValuePair<TcpEdge, TcpEdgeTotals>> FlushedTotals()
    {
        Flush();
        return totals;
    }

    /// <summary>The relay is connected to its destination: the connection counts as opened and stays active until <see cref="Record"/>.</summary>
    public static TcpConnectionMeter Opened(TcpEdge edge)
    {
        var edgeTotals = TotalsOf(edge);
        Interlocked.Increment(ref edgeTotals.Connections);
        Interlocked.Increment(ref edgeTotals.Active);
        Connections.WithLabels(edge.Labels).Inc();
        Active.WithLabels(edge.Labels).Inc();
        var meter = new TcpConnectionMeter(edge);
        open[meter] = true;
        return meter;
    }

    /// <summary>An <see cref="Opened"/> connection ended: its last bytes are counted, and it is no longer active.</summary>
    public static void Record(TcpConnectionMeter meter, RelayOutcome outcome, TimeSpan duration)
    {
        open.TryRemove(meter, out _);
        FlushBytes(meter);
        var edgeTotals = TotalsOf(meter.Edge);
        Interlocked.Increment(ref edgeTotals.Closed);
        Interlocked.Add(ref edgeTotals.ClosedDurationMs, (long)duration.TotalMilliseconds);
        if (outcome.IdleTimedOut)
            Interlocked.Increment(ref edgeTotals.IdleClosed);
        Interlocked.Decrement(ref edgeTotals.Active);
        // Everything about the ended connection is counted before Active drops: a reader that sees it no longer
        // active (a scrape, the status stream) also sees its duration and close reason.
        string[] labels = meter.Edge.Labels;
        Duration.WithLabels(labels).Observe(duration.TotalSeconds);
        if (outcome.IdleTimedOut)
            Closed.WithLabels([.. labels, "idle_timeout"]).Inc();
        Active.WithLabels(labels).Dec();
    }

    public static void CountRefused(TcpEdge edge, string reason)
    {
        Refused.WithLabels([.. edge.Labels, reason]).Inc();
        var edgeTotals = TotalsOf(edge);
        if (reason == Denied)
            Interlocked.Increment(ref edgeTotals.Denied);
        else
            Interlocked.Increment(ref edgeTotals.ConnectFailures);
        if (reason == Overflow)
            Interlocked.Increment(ref edgeTotals.Overflow);
    }

    /// <summary>Moves the bytes open connections moved since the last flush into their edges' counts (and Prometheus).</summary>
    public static void Flush()
    {
        foreach (var meter in open.Keys)
            FlushBytes(meter);
    }

    /// <summary>
    /// Per edge, what changed since the previous drain (connections opened and closed, bytes, refusals) and the connections
    /// open now; edges where nothing changed and nothing is open are left out. One caller: the stats reporter.
    /// </summary>
    public static IReadOnlyList<TcpTrafficStats> Drain()
    {
        Flush();
        var list = new List<TcpTrafficStats>();
        lock (draining)
        {
            foreach (var (edge, edgeTotals) in totals)
            {
                var now = edgeTotals.Read();
                var delta = now.Since(edgeTotals.Reported);
                edgeTotals.Reported = now;
                if (delta != TcpTrafficStats.None(edge) || now.Active > 0)
                    list.Add(delta);
            }
        }
        return list;
    }

    private static void FlushBytes(TcpConnectionMeter meter)
    {
        var (received, sent) = meter.TakeUnflushed();
        if (received == 0 && sent == 0)
            return;
        var edgeTotals = TotalsOf(meter.Edge);
        Interlocked.Add(ref edgeTotals.ReceivedBytes, received);
        Interlocked.Add(ref edgeTotals.SentBytes, sent);
        ReceivedBytes.WithLabels(meter.Edge.Labels).Inc(received);
        SentBytes.WithLabels(meter.Edge.Labels).Inc(sent);
    }

    private static TcpEdgeTotals TotalsOf(TcpEdge edge) => totals.GetOrAdd(edge, static e => new TcpEdgeTotals(e));
}

/// <summary>One edge's counts since the proxy started (bytes of open connections as of the last <see cref="TcpMetrics.Flush"/>).</summary>
public sealed class TcpEdgeTotals(TcpEdge edge)
{
    public long Connections;
    public long Closed;
    public long Active;
    public long ReceivedBytes;
    public long SentBytes;
    public long ConnectFailures;
    public long Denied;
    public long ClosedDurationMs;
    public long Overflow;
    public long IdleClosed;

    /// <summary>What the previous <see cref="TcpMetrics.Drain"/> read (guarded by its lock).</summary>
    internal TcpTrafficStats Reported { get; set; } = TcpTrafficStats.None(edge);

    internal TcpTrafficStats Read() => new(edge, Interlocked.Read(ref Connections), Interlocked.Read(ref Closed), Interlocked.Read(ref Active),
        Interlocked.Read(ref ReceivedBytes), Interlocked.Read(ref SentBytes), Interlocked.Read(ref ConnectFailures), Interlocked.Read(ref Denied),
        Interlocked.Read(ref ClosedDurationMs));
}

/// <summary>
/// One edge's TCP counts over a stats interval (or, from <see cref="TcpEdgeTotals"/>, since start): connections opened and
/// closed, bytes each way, connect failures (no endpoint, overflow, connect failed), denied; Active is the number open
/// at the end (a gauge).
/// </summary>
public sealed record TcpTrafficStats(TcpEdge Edge, long Opened, long Closed, long Active, long ReceivedBytes, long SentBytes,
    long ConnectFailures, long Denied, long ClosedDurationMs)
{
    public static TcpTrafficStats None(TcpEdge edge) => new(edge, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>The counts since <paramref name="earlier"/>, keeping this reading's Active.</summary>
    public TcpTrafficStats Since(TcpTrafficStats earlier) => this with
    {
        Opened = Opened - earlier.Opened,
        Closed = Closed - earlier.Closed,
        ReceivedBytes = ReceivedBytes - earlier.ReceivedBytes,
        SentBytes = SentBytes - earlier.SentBytes,
        ConnectFailures = ConnectFailures - earlier.ConnectFailures,
        Denied = Denied - earlier.Denied,
        ClosedDurationMs = ClosedDurationMs - earlier.ClosedDurationMs,
    };
}

/// <summary>
/// Who a relayed connection is between, as the metrics label it (direction, source and destination service, destination
/// version, route) and as the control plane keys its TCP edges (with the namespaces and the source's version: the own
/// identity outbound; inbound, the caller's namespace from its certificate and no version).
/// </summary>
public readonly record struct TcpEdge(bool Inbound, string SourceService, string DestinationService, string DestinationVersion, string Route)
{
    public string SourceNamespace { get; init; } = "";
    public string SourceVersion { get; init; } = "";
    public string DestinationNamespace { get; init; } = "";

    public string[] Labels => [Inbound ? "inbound" : "outbound", SourceService, DestinationService, DestinationVersion, Route];
}
