namespace Meshwork.Portal.Live;

/// <summary>
/// One subscriber of <see cref="MeshLiveData"/>: changes are coalesced and handed over at most once per
/// interval, the latest only (the handler reads the current state, so nothing queues behind a slow one).
/// Disposing it (with the page) stops deliveries.
/// </summary>
internal sealed class LiveSubscription(MeshLiveData owner, Func<LiveChange, Task> handler, TimeSpan minInterval, ILogger logger) : IDisposable
{
    private int pending;
    private int scheduled;
    private volatile bool disposed;

    public void Notify(LiveChange change)
    {
        if (disposed) return;
        Interlocked.Or(ref pending, (int)change);
        if (Interlocked.CompareExchange(ref scheduled, 1, 0) == 0)
            _ = DeliverAsync();
    }

    private async Task DeliverAsync()
    {
        await Task.Delay(minInterval);
        Volatile.Write(ref scheduled, 0);
        var changes = (LiveChange)Interlocked.Exchange(ref pending, 0);
        if (disposed || changes == LiveChange.None) return;
        try
        {
            await handler(changes);
        }
        catch (ObjectDisposedException)
        {
            // The page's circuit went away between the change and the delivery.
        }
        catch (Exception e)
        {
            // A failing subscriber must not take the live feed down with it; it is told again on the next change.
            logger.LogWarning(e, "A live-data subscriber failed handling {Changes}", changes);
        }
    }

    public void Dispose()
    {
        disposed = true;
        owner.Unsubscribe(this);
    }
}
