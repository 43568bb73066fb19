using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>Settings page (admins): the mesh-wide defaults, stored as the MeshSettings resource "mesh".</summary>
public sealed class SettingsViewModel(IServiceScopeFactory scopes, CurrentUser user) : LoadState
{
    private static readonly ResourceKey Key = new(ResourceKind.MeshSettings, ResourceMetadata.DefaultNamespace, MeshSettings.SingletonName);

    /// <summary>The stored settings, or the defaults (version 0) when none were saved yet.</summary>
    public MeshSettings Settings { get; private set; } = Defaults;
    public bool IsStored => Settings.Metadata.Version > 0;
    public bool CanEdit { get; private set; }

    private static MeshSettings Defaults => new() { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName } };

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(Key);
        Settings = stored?.Resource as MeshSettings ?? Defaults;
        CanEdit = await user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.MeshSettings));
    }, "mesh settings");

    /// <summary>Saves an edited copy; its version is the one loaded, so a concurrent edit is a conflict.</summary>
    public async Task<ChangeOutcome> SaveAsync(MeshSettings edited)
    {
        if (!await user.CanAsync(PortalPolicies.WritePolicyFor(ResourceKind.MeshSettings)))
            return ChangeOutcome.Denied("changing mesh settings");
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResourceService>().ApplyAsync(edited, await user.ActorAsync());
        var outcome = ChangeOutcome.From(result, "Mesh settings saved.");
        await LoadAsync();
        return outcome;
    }
}
