using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Services
{
    private ServiceForm form = new();
    private ChangeOutcome? outcome;
    private bool busy;
    private Shared.YamlEditor? editor;

    private const string Example = "kind: Service\nmetadata:\n  name: payments\nport: 8080\nversions:\n  - name: v1\n    labels: {version: v1}\n  - name: v2\n    labels: {version: v2}";

    [Inject] public required ServicesViewModel Model { get; init; }

    protected override Task OnInitializedAsync() => Model.LoadAsync();

    // Another operator (or meshctl, or the API) changed a resource: the list follows without a reload.
    protected override Task OnResourcesChangedAsync() => Model.LoadAsync();

    private async Task CreateAsync()
    {
        busy = true;
        outcome = await Model.CreateAsync(form);
        if (outcome.Succeeded)
            form = new ServiceForm();
        busy = false;
    }

    private async Task DeleteAsync(StoredResource service) => outcome = await Model.DeleteAsync(service);
}
