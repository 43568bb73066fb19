using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Access
{
    private const string Example = "kind: AccessPolicy\nmetadata:\n  name: checkout-from-frontend\nservice: checkout\naction: allow\nrules:\n  - from:\n      - services: [frontend]";

    private bool canEdit;
    private Shared.YamlEditor? editor;

    [Inject] public required ResourceListViewModel Model { get; init; }
    [Inject] public required CurrentUser User { get; init; }

    private EventCallback<StoredResource> EditCallback =>
        canEdit ? EventCallback.Factory.Create<StoredResource>(this, stored => editor?.Edit(stored)) : default;

    protected override async Task OnInitializedAsync()
    {
        canEdit = await User.CanAsync(PortalPolicies.Administer);
        await LoadAsync();
    }

    private Task LoadAsync() => Model.LoadAsync(ResourceKind.AccessPolicy);
}
