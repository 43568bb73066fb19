using Meshwork.Model.Resources;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Pages;

public partial class Overview
{
    private static readonly (ResourceKind Kind, string Title, string Href)[] Cards =
    [
        (ResourceKind.Service, "Services", "services"),
        (ResourceKind.HttpRoute, "HTTP routes", "traffic"),
        (ResourceKind.ResiliencePolicy, "Resilience policies", "traffic"),
        (ResourceKind.AccessPolicy, "Access policies", "access"),
        (ResourceKind.Rollout, "Rollouts", "rollouts"),
    ];

    [Inject] public required ResourceListViewModel Model { get; init; }

    protected override Task OnInitializedAsync() => LoadAsync();

    protected override Task OnResourcesChangedAsync() => LoadAsync();

    private Task LoadAsync() => Model.LoadAsync(Cards.Select(c => c.Kind).ToArray());

    private int Nacks => Snapshot.Proxies.Count(p => p.LastNack is { } nack && nack.Version >= p.AckedVersion);

    private int Count(ResourceKind kind) => Model.Resources.Count(r => r.Resource.Kind == kind);
}
