using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Stats;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Per (direction, source, destination, version, route, status class) request counts and latency.
/// Three readers: the once-a-second report to subscribers (deltas), /stats (totals), and the
/// "Meshwork.Proxy" meter (OpenTelemetry OTLP and the Prometheus /metrics endpoint).
/// </summary>
public sealed class ProxyStats : IDisposable
{
    public const string MeterName = "Meshwork.Proxy";

    private readonly ConcurrentDictionary<TrafficKey, Cell> cells = new();
    private readonly Meter meter = new(MeterName);
    private readonly Counter<long> requests;
    private readonly Histogram<double> duration;
    private readonly Counter<long> denied;

    public ProxyStats()
    {
        requests = meter.CreateCounter<long>("meshwork.proxy.requests", description: "Requests handled, by edge, route and status class");
        duration = meter.CreateHistogram<double>("meshwork.proxy.request.duration", unit: "ms", description: "Request latency seen by the proxy");
        denied = meter.CreateCounter<long>("meshwork.proxy.denied", description: "Requests refused by an access policy");
    }

    public void Record(in TrafficKey key, TimeSpan latency, bool wasDenied)
    {
        var cell = cells.GetOrAdd(key, static _ => new Cell());
        Interlocked.Increment(ref cell.Requests);
        Interlocked.Increment(ref cell.TotalRequests);
        if (key.StatusClass is "5xx" or "0xx")
        {
            Interlocked.Increment(ref cell.Failures);
            Interlocked.Increment(ref cell.TotalFailures);
        }
        if (wasDenied)
        {
            Interlocked.Increment(ref cell.Denied);
            Interlocked.Increment(ref cell.TotalDenied);
        }
        cell.Latency.Record(latency);
        cell.Prometheus ??= PrometheusCell.For(key);
        cell.Prometheus.Requests.Inc();
        cell.Prometheus.Duration.Observe(latency.TotalMilliseconds);
        if (wasDenied)
            cell.Prometheus.Denied.Inc();

        if (!requests.Enabled && !duration.Enabled)
            return; // no OpenTelemetry listener: skip building tags
        var direction = key.Direction == Direction.Inbound ? "inbound" : "outbound";
        var tags = new TagList
        {
            { "direction", direction },
            { "source_service", key.SourceService },
            { "destination_service", key.DestinationService },
            { "destination_version", key.DestinationVersion },
            { "route", key.Route },
            { "status_class", key.StatusClass },
        };
        requests.Add(1, tags);
        duration.Record(latency.TotalMilliseconds, tags);
        if (wasDenied)
            denied.Add(1, tags);
    }

    /// <summary>Counts since the previous drain; cells without traffic are left out.</summary>
    public IReadOnlyList<TrafficStats> Drain()
    {
        var list = new List<TrafficStats>();
        foreach (var (key, cell) in cells)
        {
            var count = Interlocked.Exchange(ref cell.Requests, 0);
            if (count == 0)
                continue;
            list.Add(new TrafficStats
            {
                Key = key,
                Requests = count,
                Failures = Interlocked.Exchange(ref cell.Failures, 0),
                Denied = Interlocked.Exchange(ref cell.Denied, 0),
                Latency = cell.Latency.Drain(),
            });
        }
        return list;
    }

    /// <summary>Totals since start, for /stats.</summary>
    public IEnumerable<(TrafficKey Key, long Requests, long Failures, long Denied)> Totals() =>
        cells.Select(c => (c.Key, Interlocked.Read(ref c.Value.TotalRequests), Interlocked.Read(ref c.Value.TotalFailures), Interlocked.Read(ref c.Value.TotalDenied)));

    /// <summary>Requests recorded since start, over every cell.</summary>
    public long TotalRequests() => Totals().Sum(t => t.Requests);

    public void Dispose() => meter.Dispose();

    private sealed class Cell
    {
        public long Requests;
        public long Failures;
        public long Denied;
        public long TotalRequests;
        public long TotalFailures;
        public long TotalDenied;
        public readonly LatencyRecorder Latency = new();
        public PrometheusCell? Prometheus;
    }

    /// <summary>The labelled Prometheus children of one cell, resolved once instead of per request.</summary>
    private sealed record PrometheusCell(Prometheus.Counter.Child Requests, Prometheus.Histogram.Child Duration, Prometheus.Counter.Child Denied)
    {
        public static PrometheusCell For(in TrafficKey key)
        {
            string[] labels = [key.Direction == Direction.Inbound ? "inbound" : "outbound", key.SourceService, key.DestinationService, key.DestinationVersion, key.Route, key.StatusClass];
            return new PrometheusCell(
                PrometheusSetup.Requests.WithLabels(labels), PrometheusSetup.Duration.WithLabels(labels), PrometheusSetup.Denied.WithLabels(labels));
        }
    }
}
