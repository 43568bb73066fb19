using Prometheus;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// /metrics publishes the proxy's own meter (plus process metrics) only: the per-request
/// ASP.NET Core and HttpClient meters and the EventCounter bridge cost CPU on the hot path.
/// </summary>
public static class PrometheusSetup
{
    private static readonly double[] BucketsMs = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    public static void Configure()
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
        Metrics.ConfigureMeterAdapter(adapter =>
        {
            adapter.InstrumentFilterPredicate = instrument => instrument.Meter.Name == ProxyStats.MeterName;
            adapter.ResolveHistogramBuckets = _ => BucketsMs;
        });
    }
}
