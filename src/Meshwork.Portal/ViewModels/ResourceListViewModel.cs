using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>Read-only lists of stored resources of some kinds (Traffic, Access, Rollouts pages).</summary>
public sealed class ResourceListViewModel(IServiceScopeFactory scopes) : LoadState
{
    private int latestLoad;

    public IReadOnlyList<StoredResource> Resources { get; private set; } = [];

    public Task LoadAsync(params ResourceKind[] kinds)
    {
        var load = Interlocked.Increment(ref latestLoad);
        return RunLoadAsync(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var all = new List<StoredResource>();
            foreach (var kind in kinds)
                all.AddRange(await store.ListAsync(kind));
            // Loads overlap when a change arrives while the page's first load is still reading: the one
            // started last saw the newest state, so an older load finishing after it must not overwrite it.
            if (load == Volatile.Read(ref latestLoad))
                Resources = all;
        }, "resources");
    }
}
