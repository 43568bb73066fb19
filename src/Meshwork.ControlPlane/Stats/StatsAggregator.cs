using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Folds the per-second stats every proxy reports into 10 s windows: edges from the calling
/// side (OUTBOUND reports), service versions from the called side (INBOUND reports), so no
/// request is counted twice.
/// </summary>
public sealed class StatsAggregator(TimeProvider time)
{
    /// <summary>Keys with no traffic for this long disappear from the topology.</summary>
    private const long ForgetAfterSeconds = 120;

    private readonly Lock gate = new();
    private readonly Dictionary<EdgeKey, SignalWindow> edges = [];
    private readonly Dictionary<ServiceVersionKey, SignalWindow> serviceVersions = [];
    private readonly Dictionary<ServiceVersionKey, (ulong Requests, ulong Failures, MergedHistogram Latency)> totals = [];

    private readonly record struct EdgeKey(string SourceService, string SourceNamespace, string SourceVersion,
        string DestinationService, string DestinationNamespace, string DestinationVersion);

    private readonly record struct ServiceVersionKey(string Service, string Namespace, string Version);

    public void Record(Protocol.Mesh.Stats stats)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        lock (gate)
        {
            foreach (var edge in stats.Edges)
            {
                if (edge.Direction == Direction.Outbound)
                {
                    var key = new EdgeKey(edge.SourceService, edge.SourceNamespace, edge.SourceVersion,
                        edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion);
                    Window(edges, key).Add(second, edge.Requests, edge.Failures, edge.Latency);
                }
                else if (edge.Direction == Direction.Inbound)
                {
                    var key = new ServiceVersionKey(edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion);
                    Window(serviceVersions, key).Add(second, edge.Requests, edge.Failures, edge.Latency);
                    var (requests, failures, latency) = totals.TryGetValue(key, out var total) ? total : (0UL, 0UL, new MergedHistogram());
                    if (edge.Latency is { } histogram) latency.Add(histogram);
                    totals[key] = (requests + edge.Requests, failures + edge.Failures, latency);
                }
            }
        }
    }

    public IReadOnlyList<EdgeSignals> Edges()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        lock (gate)
        {
            Forget(edges, now);
            return edges.Select(pair => new EdgeSignals
            {
                SourceService = pair.Key.SourceService,
                SourceNamespace = pair.Key.SourceNamespace,
                SourceVersion = pair.Key.SourceVersion,
                DestinationService = pair.Key.DestinationService,
                DestinationNamespace = pair.Key.DestinationNamespace,
                DestinationVersion = pair.Key.DestinationVersion,
                Signals = pair.Value.Compute(now),
            }).ToList();
        }
    }

    public IReadOnlyList<ServiceVersionSignals> ServiceVersions()
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        lock (gate)
        {
            Forget(serviceVersions, now);
            return serviceVersions.Select(pair => new ServiceVersionSignals
            {
                Service = pair.Key.Service,
                Namespace = pair.Key.Namespace,
                Version = pair.Key.Version,
                Signals = pair.Value.Compute(now),
            }).ToList();
        }
    }

    /// <summary>
    /// The called side's counts for every service version called since this control plane started: what
    /// <see cref="VersionTotalsWriter"/> saves for the rollout analysis, which differences two readings.
    /// </summary>
    public IReadOnlyList<VersionCounts> AllTotals()
    {
        lock (gate)
        {
            return totals.Select(pair => new VersionCounts(pair.Key.Namespace, pair.Key.Service, pair.Key.Version,
                (long)pair.Value.Requests, (long)pair.Value.Failures, pair.Value.Latency.BucketCounts().Select(c => (long)c).ToArray())).ToList();
        }
    }

    private static SignalWindow Window<TKey>(Dictionary<TKey, SignalWindow> windows, TKey key) where TKey : notnull
    {
        if (!windows.TryGetValue(key, out var window)) windows[key] = window = new SignalWindow();
        return window;
    }

    private static void Forget<TKey>(Dictionary<TKey, SignalWindow> windows, long now) where TKey : notnull
    {
        foreach (var key in windows.Where(pair => now - pair.Value.LastSecond > ForgetAfterSeconds).Select(pair => pair.Key).ToList())
            windows.Remove(key);
    }
}
