using Prometheus;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// /metrics publishes the proxy's own request metrics (plus process metrics). The meter and
/// EventCounter bridges are off: they would re-export every ASP.NET Core and HttpClient
/// measurement at a cost on the hot path; OpenTelemetry (OTLP) covers those when configured.
/// </summary>
public static class PrometheusSetup
{
    private static readonly string[] Labels = ["direction", "source_service", "destination_service", "destination_version", "route", "status_class"];

    public static readonly Counter Requests = Metrics.CreateCounter(
        "meshwork_proxy_requests_total", "Requests handled, by edge, route and status class", Labels);

    public static readonly Counter Denied = Metrics.CreateCounter(
        "meshwork_proxy_denied_total", "Requests refused by an access policy", Labels);

    public static readonly Histogram Duration = Metrics.CreateHistogram(
        "meshwork_proxy_request_duration_ms", "Request latency seen by the proxy, milliseconds", new HistogramConfiguration
        {
            LabelNames = Labels,
            Buckets = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
        });

    public static void Configure() =>
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
}
