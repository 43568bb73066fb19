using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// One service and the routes that split its traffic: those attached to it (parentRefs) or sending
/// to it (backendRefs) with a rule of two or more backends. Each gets the canary sliders on the page.
/// </summary>
public sealed class ServiceDetailViewModel(IServiceScopeFactory scopes) : LoadState
{
    public StoredResource? Service { get; private set; }
    public IReadOnlyList<ResourceKey> SplittingRoutes { get; private set; } = [];

    public Task LoadAsync(string ns, string name) => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        Service = await store.GetAsync(new ResourceKey(ResourceKind.Service, ns, name));
        var routes = await store.ListAsync(ResourceKind.HttpRoute);
        SplittingRoutes = routes.Select(r => (HttpRoute)r.Resource)
            .Where(route => route.Rules.Any(rule => rule.BackendRefs.Count >= 2) && Concerns(route, ns, name))
            .Select(route => route.Key)
            .ToList();
    }, $"service {ns}/{name}");

    private static bool Concerns(HttpRoute route, string ns, string name) =>
        route.ParentRefs.Any(p => p.Kind == ParentKind.Service && p.Name == name && (p.Namespace ?? route.Metadata.Namespace) == ns)
        || route.Rules.SelectMany(r => r.BackendRefs).Any(b => b.Service == name && (b.Namespace ?? route.Metadata.Namespace) == ns);
}
