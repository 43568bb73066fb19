using Prometheus;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// /metrics for intercepted connections that are not HTTP and pass through as TCP to their original
/// destination (Istio's PassthroughCluster). No per-destination labels: the destinations are
/// whatever addresses the app dials, an unbounded set.
/// </summary>
public static class PassthroughMetrics
{
    private const string Prefix = "meshwork_proxy_tcp_passthrough_";

    public static readonly Counter Connections = Metrics.CreateCounter(
        Prefix + "connections_total", "Intercepted non-HTTP connections relayed as TCP to their original destination");

    public static readonly Counter ConnectFailures = Metrics.CreateCounter(
        Prefix + "connect_failures_total", "Intercepted non-HTTP connections whose original destination could not be reached");

    public static readonly Gauge Active = Metrics.CreateGauge(
        Prefix + "active_connections", "Relayed TCP connections open now");

    public static readonly Counter SentBytes = Metrics.CreateCounter(
        Prefix + "sent_bytes_total", "Bytes relayed from the app to the original destination (counted as they are written)");

    public static readonly Counter ReceivedBytes = Metrics.CreateCounter(
        Prefix + "received_bytes_total", "Bytes relayed from the original destination to the app (counted as they are written)");

    public const string IdleTimeout = "idle_timeout";

    /// <summary>reason: idle_timeout (no bytes either way for Proxy:InterceptIdleTimeout).</summary>
    public static readonly Counter Closed = Metrics.CreateCounter(
        Prefix + "closed_total", "Relayed TCP connections the proxy closed itself, by reason", "reason");

    public static readonly Histogram Duration = Metrics.CreateHistogram(
        Prefix + "connection_duration_seconds", "How long a relayed TCP connection stayed open, seconds", new HistogramConfiguration
        {
            Buckets = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600],
        });
}
