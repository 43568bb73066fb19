using System.Collections.Concurrent;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// The latest <see cref="TopologyView"/> per filter, so the graph is built once per change for all the streams that show
/// it, not once per client. Thresholds and rollouts come from their caches (<see cref="TopologyThresholds"/>,
/// <see cref="TopologyRollouts"/>), which read the store once per change or tick for everyone. Filters come from
/// clients: past <see cref="MaxFilters"/> distinct ones the cache starts over (each filter then costs one build again).
/// </summary>
public sealed class TopologyViews(TopologyThresholds thresholds, TopologyRollouts rollouts)
{
    public const int MaxFilters = 64;
    private readonly ConcurrentDictionary<TopologyFilter, TopologyView> latest = new();

    public async Task<TopologyView> CurrentAsync(MeshStatusSnapshot snapshot, TopologyFilter filter, CancellationToken ct)
    {
        var health = await thresholds.CurrentAsync(ct);
        var canaries = await rollouts.CurrentAsync(ct);
        if (latest.TryGetValue(filter, out var view) && view.IsFor(snapshot, health, canaries))
            return view;
        view = new TopologyView(snapshot, health, canaries, TopologyGraphModel.Build(snapshot.Edges, snapshot.ServiceVersions, filter, health, canaries, snapshot.TcpEdges));
        if (latest.Count >= MaxFilters)
            latest.Clear();
        latest[filter] = view;
        return view;
    }
}
