using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Stats;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// The stats this process received, added up per minute (by the control plane's clock) and series:
/// edges from the calling side (OUTBOUND reports), service versions from the called side (INBOUND),
/// as <see cref="StatsAggregator"/> counts them, and route rules from the calling side (the report's
/// routes, which <see cref="KnownRoutes"/> has checked). <see cref="SignalHistoryWriter"/> saves them.
/// </summary>
public sealed class MinuteRollups(TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(DateTimeOffset Minute, SignalSeries Series), Counts> minutes = [];

    private sealed class Counts
    {
        public ulong Requests;
        public ulong Failures;
        public readonly MergedHistogram Latency = new();
    }

    public void Record(Protocol.Mesh.Stats stats)
    {
        var minute = SignalHistoryStore.TruncateToMinute(time.GetUtcNow());
        lock (gate)
        {
            foreach (var edge in stats.Edges)
            {
                var series = edge.Direction switch
                {
                    Direction.Outbound => new SignalSeries(SignalSeriesKind.Edge, edge.SourceService, edge.SourceNamespace, edge.SourceVersion,
                        edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion),
                    Direction.Inbound => SignalSeries.ServiceVersion(edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion),
                    _ => null,
                };
                if (series is not null) Add(minute, series, edge.Requests, edge.Failures, edge.Latency);
            }
            foreach (var route in stats.Routes)
            {
                if (RouteRuleName.TryParse(route.Route, out var ns, out var name, out var rule))
                    Add(minute, SignalSeries.Route(ns, name, rule), route.Requests, route.Failures, route.Latency);
            }
        }
    }

    private void Add(DateTimeOffset minute, SignalSeries series, ulong requests, ulong failures, LatencyHistogram? latency)
    {
        if (!minutes.TryGetValue((minute, series), out var counts)) minutes[(minute, series)] = counts = new Counts();
        counts.Requests += requests;
        counts.Failures += failures;
        if (latency is { Buckets.Count: > 0 }) counts.Latency.Add(latency);
    }

    /// <summary>
    /// Everything held, the current minute so far included, and the start of the current minute:
    /// minutes before it are complete, so once this copy is saved <see cref="ForgetBefore"/> may drop them.
    /// </summary>
    public (IReadOnlyList<SignalRollup> Rollups, DateTimeOffset CurrentMinute) Snapshot()
    {
        lock (gate)
        {
            var current = SignalHistoryStore.TruncateToMinute(time.GetUtcNow());
            var rollups = minutes.Select(pair => new SignalRollup(pair.Key.Minute, pair.Key.Series, (long)pair.Value.Requests,
                (long)pair.Value.Failures, pair.Value.Latency.BucketCounts().Select(count => (long)count).ToList())).ToList();
            return (rollups, current);
        }
    }

    /// <summary>Drops the minutes that started before <paramref name="minute"/> (saved and complete, or past retention).</summary>
    public void ForgetBefore(DateTimeOffset minute)
    {
        lock (gate)
        {
            foreach (var key in minutes.Keys.Where(key => key.Minute < minute).ToList())
                minutes.Remove(key);
        }
    }
}
