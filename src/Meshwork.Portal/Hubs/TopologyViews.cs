using System.Collections.Concurrent;
using System.Diagnostics;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// The latest <see cref="TopologyView"/> per filter, so the graph is built once per change for all the streams that show
/// it, not once per client. A new view is made at most once per <see cref="TopologyFeed.MinInterval"/> per filter: the
/// live state changes several times a second (proxy heartbeats as well as signals), and streams woken at different
/// moments would otherwise each hold a different view (about a megabyte each for 500 services) as the one they last
/// sent; this way every stream of a filter holds the latest view or the one before (or a newer one for a snapshot). A view that is behind its inputs
/// says when a newer one can be made (<see cref="Current.RefreshIn"/>), so a stream catches up even when nothing
/// changes after. Thresholds and rollouts come from their caches (<see cref="TopologyThresholds"/>,
/// <see cref="TopologyRollouts"/>), which read the store once per change or tick for everyone. Filters come from
/// clients: past <see cref="MaxFilters"/> distinct ones the cache starts over (each filter then costs one build again).
/// </summary>
public sealed class TopologyViews(TopologyThresholds thresholds, TopologyRollouts rollouts)
{
    public const int MaxFilters = 64;
    private readonly ConcurrentDictionary<TopologyFilter, TopologyView> latest = new();

    /// <param name="View">The view to send.</param>
    /// <param name="RefreshIn">Null when the view is built from the inputs asked for; otherwise how long until a view of
    /// the newer inputs can be made (ask again then).</param>
    public sealed record Current(TopologyView View, TimeSpan? RefreshIn);

    /// <param name="recentWillDo">Whether a view made less than a second ago from older inputs may be returned (for a
    /// delta); a new stream's snapshot is always of the inputs given.</param>
    public async Task<Current> CurrentAsync(MeshStatusSnapshot snapshot, TopologyFilter filter, bool recentWillDo, CancellationToken ct)
    {
        var health = await thresholds.CurrentAsync(ct);
        var canaries = await rollouts.CurrentAsync(ct);
        if (latest.TryGetValue(filter, out var view))
        {
            if (view.IsFor(snapshot, health, canaries))
                return new Current(view, null);
            var age = Stopwatch.GetElapsedTime(view.BuiltAt);
            if (recentWillDo && age < TopologyFeed.MinInterval)
                return new Current(view, TopologyFeed.MinInterval - age);
        }
        view = new TopologyView(snapshot, health, canaries, TopologyGraphModel.Build(snapshot.Edges, snapshot.ServiceVersions, filter, health, canaries, snapshot.TcpEdges));
        if (latest.Count >= MaxFilters)
            latest.Clear();
        latest[filter] = view;
        return new Current(view, null);
    }
}
