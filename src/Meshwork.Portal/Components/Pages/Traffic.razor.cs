using Meshwork.Model.Resources;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Traffic
{
    [Inject] public required ResourceListViewModel Model { get; init; }

    protected override Task OnInitializedAsync() => LoadAsync();

    private Task LoadAsync() => Model.LoadAsync(ResourceKind.HttpRoute, ResourceKind.ResiliencePolicy);
}
