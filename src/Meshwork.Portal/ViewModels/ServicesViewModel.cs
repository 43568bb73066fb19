using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>The editable fields of a new service.</summary>
public sealed class ServiceForm
{
    public string Name { get; set; } = "";
    public string Namespace { get; set; } = ResourceMetadata.DefaultNamespace;
    public int Port { get; set; } = 8080;
    public ServiceProtocol Protocol { get; set; } = ServiceProtocol.Http;
    public string? Description { get; set; }
    public string Versions { get; set; } = "v1";

    public Service ToResource() => new()
    {
        Metadata = new ResourceMetadata { Name = Name.Trim(), Namespace = string.IsNullOrWhiteSpace(Namespace) ? ResourceMetadata.DefaultNamespace : Namespace.Trim() },
        Port = Port,
        Protocol = Protocol,
        Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
        Versions = Versions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => new ServiceVersion { Name = v, Labels = new Dictionary<string, string> { ["version"] = v } }).ToList(),
    };
}

/// <summary>Services page: the stored services, create and delete through the one store service.</summary>
public sealed class ServicesViewModel(IServiceScopeFactory scopes, CurrentUser user) : LoadState
{
    public IReadOnlyList<StoredResource> Services { get; private set; } = [];
    public bool CanEdit { get; private set; }

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        Services = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync(ResourceKind.Service);
        CanEdit = await user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.Service));
    }, "services");

    public async Task<ChangeOutcome> CreateAsync(ServiceForm form)
    {
        if (!await user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.Service)))
            return ChangeOutcome.Denied("creating services");
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResourceService>().ApplyAsync(form.ToResource(), await user.ActorAsync());
        var outcome = ChangeOutcome.From(result, $"Created service {form.Name.Trim()}.");
        if (outcome.Succeeded)
            await LoadAsync();
        return outcome;
    }

    public async Task<ChangeOutcome> DeleteAsync(StoredResource service)
    {
        if (!await user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.Service)))
            return ChangeOutcome.Denied("deleting services");
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResourceService>()
            .DeleteAsync(service.Resource.Key, service.Resource.Metadata.Version, await user.ActorAsync());
        var outcome = ChangeOutcome.From(result, $"Deleted service {service.Resource.Metadata.Name}.");
        await LoadAsync();
        return outcome;
    }
}
