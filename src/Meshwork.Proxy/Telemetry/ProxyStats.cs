using System.Collections.Concurrent;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Stats;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Per (direction, source, destination, version, route, status class, gRPC status) request counts and latency.
/// Three readers: the once-a-second report to subscribers (deltas), /stats (totals), and the
/// Prometheus /metrics endpoint (<see cref="PrometheusSetup"/>), the proxy's one metrics pipeline.
/// </summary>
public sealed class ProxyStats
{
    private readonly ConcurrentDictionary<TrafficKey, Cell> cells = new();

    public void Record(in TrafficKey key, TimeSpan latency, bool wasDenied)
    {
        var cell = cells.GetOrAdd(key, static _ => new Cell());
        Interlocked.Increment(ref cell.Requests);
        Interlocked.Increment(ref cell.TotalRequests);
        if (key.IsFailure)
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
        cell.Prometheus.Duration.Observe(latency.TotalSeconds);
        if (wasDenied)
            cell.Prometheus.Denied.Inc();
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
            string[] labels = [key.Direction == Direction.Inbound ? "inbound" : "outbound", key.SourceService, key.DestinationService, key.DestinationVersion, key.Route, key.StatusClass, key.GrpcStatus];
            return new PrometheusCell(
                PrometheusSetup.Requests.WithLabels(labels), PrometheusSetup.Duration.WithLabels(labels), PrometheusSetup.Denied.WithLabels(labels));
        }
    }
}
