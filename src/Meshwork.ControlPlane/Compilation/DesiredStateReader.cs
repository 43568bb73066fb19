using Meshwork.Store;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>Reads the whole desired state through the store's application service (a fresh scope per read).</summary>
public sealed class DesiredStateReader(IServiceScopeFactory scopes)
{
    public async Task<DesiredState> ReadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var (resources, revision) = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListWithRevisionAsync(ct);
        return new DesiredState(resources.Select(r => r.Resource).ToList(), revision);
    }
}
