using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>Read-only lists of stored resources of some kinds (Traffic, Access, Rollouts pages).</summary>
public sealed class ResourceListViewModel(IServiceScopeFactory scopes) : LoadState
{
    public IReadOnlyList<StoredResource> Resources { get; private set; } = [];

    public Task LoadAsync(params ResourceKind[] kinds) => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var all = new List<StoredResource>();
        foreach (var kind in kinds)
            all.AddRange(await store.ListAsync(kind));
        Resources = all;
    }, "resources");
}
