using Meshwork.Portal.Live;
using Microsoft.AspNetCore.Components;

namespace Meshwork.Portal.Components.Shared;

/// <summary>
/// Base of pages and panels that show live data: the control plane's state on first render, then a
/// re-render when it changes and <see cref="OnResourcesChangedAsync"/> when desired state changed in the
/// store (another operator's edit), at most every 500 ms, unsubscribed when the page goes away.
/// </summary>
public abstract class LiveStatusPage : ComponentBase, IDisposable
{
    private static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(500);
    private IDisposable? subscription;

    [Inject] public required MeshLiveData Live { get; init; }

    protected MeshStatusSnapshot Snapshot => Live.Current;

    protected override void OnInitialized() => subscription = Live.Subscribe(OnLiveChangeAsync, Throttle);

    private Task OnLiveChangeAsync(LiveChange changes) => InvokeAsync(async () =>
    {
        if (changes.HasFlag(LiveChange.Resources))
            await OnResourcesChangedAsync();
        StateHasChanged();
    });

    /// <summary>Desired state changed in the store: pages listing resources reload them here.</summary>
    protected virtual Task OnResourcesChangedAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Pages holding subscriptions of their own release them here too.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) subscription?.Dispose();
    }
}
