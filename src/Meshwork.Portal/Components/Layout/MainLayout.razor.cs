using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Meshwork.Portal.Components.Layout;

public partial class MainLayout
{
    private static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#2f5d9e", AppbarBackground = "#1f3f6e" },
        PaletteDark = new PaletteDark { Primary = "#7fa7e0" },
    };

    private bool drawerOpen = true;

    [Inject] public required ThemeState ThemeState { get; init; }

    /// <summary>True once the circuit is live (after-render never runs while prerendering); browser tests wait for it.</summary>
    private bool interactive;

    private void ToggleDrawer() => drawerOpen = !drawerOpen;

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            interactive = true;
            StateHasChanged();
        }
    }
}
