using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Meshwork.Portal.Components.Shared;

public partial class LiveTapPanel
{
    /// <summary>The control plane's per-proxy ceiling (Meshwork.ControlPlane's TapHub), shown so nobody reads the table as all traffic.</summary>
    private const int MaxPerProxy = 20;

    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(250);
    private string? message;
    private int renderPending;

    [Parameter, EditorRequired] public required string Namespace { get; set; }
    [Parameter, EditorRequired] public required string Service { get; set; }

    [Inject] public required LiveTapViewModel Model { get; init; }

    protected override async Task OnInitializedAsync()
    {
        Model.Changed += OnChanged;
        await Model.LoadAsync();
    }

    private async Task StartAsync() => message = await Model.StartAsync(Namespace, Service);

    private Task StopAsync() => Model.StopAsync();

    // Samples arrive on gRPC threads several times a second per replica: at most one render per interval.
    private void OnChanged()
    {
        if (Interlocked.Exchange(ref renderPending, 1) == 1) return;
        _ = InvokeAsync(async () =>
        {
            await Task.Delay(RenderEvery);
            Interlocked.Exchange(ref renderPending, 0);
            StateHasChanged();
        });
    }

    private static Color StatusColor(int status) => status switch
    {
        >= 500 or 0 => Color.Error,
        >= 400 => Color.Warning,
        >= 300 => Color.Info,
        _ => Color.Success,
    };

    public async ValueTask DisposeAsync()
    {
        Model.Changed -= OnChanged;
        await Model.DisposeAsync();
    }
}
