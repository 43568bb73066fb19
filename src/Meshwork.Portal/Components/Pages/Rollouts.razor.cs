using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Rollouts
{
    private const string Example = "kind: Rollout\nmetadata:\n  name: checkout\nservice: checkout\nstableVersion: v1\ncanaryVersion: v2\nsteps:\n  - setWeight: 10\n  - pause: {duration: 1m}\n  - setWeight: 50";

    private bool canEdit;
    private Shared.YamlEditor? editor;

    [Inject] public required ResourceListViewModel Model { get; init; }
    [Inject] public required CurrentUser User { get; init; }

    private EventCallback<StoredResource> EditCallback =>
        canEdit ? EventCallback.Factory.Create<StoredResource>(this, stored => editor?.Edit(stored)) : default;

    protected override async Task OnInitializedAsync()
    {
        canEdit = await User.CanAsync(PortalPolicies.EditTraffic);
        await LoadAsync();
    }

    private Task LoadAsync() => Model.LoadAsync(ResourceKind.Rollout);
}
