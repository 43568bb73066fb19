using Meshwork.Model.Resources;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;

namespace Meshwork.Portal.Live;

/// <summary>
/// The topology's health thresholds as stored in the MeshSettings resource (Settings page), Kiali's defaults until it is
/// saved. Read from the store once per change of desired state (<see cref="MeshLiveData.ResourcesVersion"/>), not per
/// caller: every topology stream asks for them at every message.
/// </summary>
public sealed class TopologyThresholds(IServiceScopeFactory scopes, MeshLiveData live)
{
    private static readonly ResourceKey Key = new(ResourceKind.MeshSettings, ResourceMetadata.DefaultNamespace, MeshSettings.SingletonName);
    private readonly StoreReadCache<HealthThresholds> cache = new(live, maxAge: null);

    public Task<HealthThresholds> CurrentAsync(CancellationToken ct = default) => cache.GetAsync(ReadAsync, ct);

    private async Task<HealthThresholds> ReadAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(Key);
        return stored?.Resource is MeshSettings settings ? HealthThresholds.From(settings) : HealthThresholds.Default;
    }
}
