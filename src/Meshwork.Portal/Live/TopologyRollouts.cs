using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Meshwork.Store.Rollouts;

namespace Meshwork.Portal.Live;

/// <summary>
/// The live rollouts the topology graph marks, read as the Rollouts page reads them: every Rollout resource with
/// the rollout controller's stored state (<see cref="RolloutStatuses.Current"/>). The controller writes its state
/// without a store notification, so it is read again once it is <see cref="MaxAge"/> old (or desired state changed):
/// at most once per topology tick, shared by every stream, instead of once per stream and message.
/// </summary>
public sealed class TopologyRollouts(IServiceScopeFactory scopes, RolloutStateStore states, MeshLiveData live)
{
    /// <summary>Under the topology streams' one-second pace, so each tick sees the controller's state of that second.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(500);

    private readonly StoreReadCache<IReadOnlyList<TopologyCanary>> cache = new(live, MaxAge);

    public Task<IReadOnlyList<TopologyCanary>> CurrentAsync(CancellationToken ct = default) => cache.GetAsync(ReadAsync, ct);

    private async Task<IReadOnlyList<TopologyCanary>> ReadAsync()
    {
        IReadOnlyList<StoredResource> rollouts;
        await using (var scope = scopes.CreateAsyncScope())
            rollouts = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync(ResourceKind.Rollout);
        if (rollouts.Count == 0) return [];
        var stored = (await states.ListAsync(CancellationToken.None)).ToDictionary(s => (s.Namespace, s.Name));
        return rollouts.Select(r => (Rollout)r.Resource)
            .Select(r => TopologyCanary.Of(r, RolloutStatuses.Current(r, stored.GetValueOrDefault((r.Metadata.Namespace, r.Metadata.Name)))))
            .OfType<TopologyCanary>()
            .ToList();
    }
}
