using Prometheus;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// /metrics publishes the proxy's own request metrics (plus process metrics), named as Prometheus
/// users expect: counters end in _total, durations are _seconds histograms. This is the one metrics
/// pipeline (OpenTelemetry carries traces and logs only): the meter and EventCounter bridges are off
/// because they would re-export every ASP.NET Core and HttpClient measurement at a cost on the hot path.
/// </summary>
public static class PrometheusSetup
{
    // grpc_status: a gRPC call's status code, "" for other requests (Istio's grpc_response_status).
    private static readonly string[] Labels = ["direction", "source_service", "destination_service", "destination_version", "route", "status_class", "grpc_status"];

    public static readonly Counter Requests = Metrics.CreateCounter(
        "meshwork_proxy_requests_total", "Requests handled, by edge, route and status class", Labels);

    public static readonly Counter Denied = Metrics.CreateCounter(
        "meshwork_proxy_denied_total", "Requests refused by an access policy", Labels);

    public static readonly Histogram Duration = Metrics.CreateHistogram(
        "meshwork_proxy_request_duration_seconds", "Request latency seen by the proxy, seconds", new HistogramConfiguration
        {
            LabelNames = Labels,
            Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

    public static void Configure() =>
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
}
