using Meshwork.Model.Resources;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;

namespace Meshwork.Portal.Live;

/// <summary>The topology's health thresholds as stored in the MeshSettings resource (Settings page), Kiali's defaults until it is saved.</summary>
public sealed class TopologyThresholds(IServiceScopeFactory scopes)
{
    private static readonly ResourceKey Key = new(ResourceKind.MeshSettings, ResourceMetadata.DefaultNamespace, MeshSettings.SingletonName);

    public async Task<HealthThresholds> CurrentAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(Key, ct);
        return stored?.Resource is MeshSettings settings ? HealthThresholds.From(settings) : HealthThresholds.Default;
    }
}
