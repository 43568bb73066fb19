using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Stats;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// The stats this process received, added up per minute (by the control plane's clock) and series:
/// edges from the calling side (OUTBOUND reports), service versions from the called side (INBOUND),
/// as <see cref="StatsAggregator"/> counts them. <see cref="SignalHistoryWriter"/> saves them.
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
                if (series is null) continue;
                if (!minutes.TryGetValue((minute, series), out var counts)) minutes[(minute, series)] = counts = new Counts();
                counts.Requests += edge.Requests;
                counts.Failures += edge.Failures;
                if (edge.Latency is { Buckets.Count: > 0 }) counts.Latency.Add(edge.Latency);
            }
        }
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
