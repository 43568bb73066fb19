using Meshwork.Portal.Live;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Shared;

/// <summary>
/// Base of pages that show the control plane's live state: the current snapshot on first render,
/// then a re-render on change, at most every 500 ms, unsubscribed when the page goes away.
/// </summary>
public abstract class LiveStatusPage : ComponentBase, IDisposable
{
    private static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(500);
    private int renderPending;

    [Inject] public required MeshStatusState State { get; init; }

    protected MeshStatusSnapshot Snapshot => State.Current;

    protected override void OnInitialized() => State.Changed += OnChanged;

    private void OnChanged()
    {
        if (Interlocked.Exchange(ref renderPending, 1) == 1)
            return;
        _ = RenderSoonAsync();
    }

    private async Task RenderSoonAsync()
    {
        try
        {
            await Task.Delay(Throttle);
            Interlocked.Exchange(ref renderPending, 0);
            await InvokeAsync(StateHasChanged);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the render.
        }
    }

    public void Dispose()
    {
        State.Changed -= OnChanged;
        GC.SuppressFinalize(this);
    }
}
