using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Meshwork.Store.Rollouts;

namespace Meshwork.Portal.Live;

/// <summary>
/// The live rollouts the topology graph marks, read as the Rollouts page reads them: every Rollout resource with
/// the rollout controller's stored state (<see cref="RolloutStatuses.Current"/>).
/// </summary>
public sealed class TopologyRollouts(IServiceScopeFactory scopes, RolloutStateStore states)
{
    public async Task<IReadOnlyList<TopologyCanary>> CurrentAsync(CancellationToken ct = default)
    {
        IReadOnlyList<StoredResource> rollouts;
        await using (var scope = scopes.CreateAsyncScope())
            rollouts = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync(ResourceKind.Rollout, ct: ct);
        if (rollouts.Count == 0) return [];
        var stored = (await states.ListAsync(ct)).ToDictionary(s => (s.Namespace, s.Name));
        return rollouts.Select(r => (Rollout)r.Resource)
            .Select(r => TopologyCanary.Of(r, RolloutStatuses.Current(r, stored.GetValueOrDefault((r.Metadata.Namespace, r.Metadata.Name)))))
            .OfType<TopologyCanary>()
            .ToList();
    }
}
