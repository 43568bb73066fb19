using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Traffic
{
    private const string Example = "kind: HttpRoute\nmetadata:\n  name: checkout\nparentRefs:\n  - name: checkout\nrules:\n  - backendRefs:\n      - service: checkout\n        version: v1\n        weight: 90\n      - service: checkout\n        version: v2\n        weight: 10";

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

    private Task LoadAsync() => Model.LoadAsync(ResourceKind.HttpRoute, ResourceKind.ResiliencePolicy);
}
