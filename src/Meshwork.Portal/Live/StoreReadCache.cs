namespace Meshwork.Portal.Live;

/// <summary>
/// One value read from the store, shared by every caller: read again once desired state changed
/// (<see cref="MeshLiveData.ResourcesVersion"/>), or once it is older than a maximum age (for state the store does not
/// announce), and never more than once at a time. A read is not cancelled by one caller going away (others share it);
/// a failed read is not kept.
/// </summary>
internal sealed class StoreReadCache<T>(MeshLiveData live, TimeSpan? maxAge, TimeProvider? time = null)
{
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly Lock gate = new();
    private Entry? entry;

    private sealed record Entry(Task<T> Read, long ResourcesVersion, long StartedAt);

    public Task<T> GetAsync(Func<Task<T>> read, CancellationToken ct)
    {
        var version = live.ResourcesVersion;
        Task<T> current;
        lock (gate)
        {
            if (entry is null || entry.ResourcesVersion != version || entry.Read.IsFaulted || entry.Read.IsCanceled
                || (maxAge is { } age && clock.GetElapsedTime(entry.StartedAt) >= age))
                entry = new Entry(read(), version, clock.GetTimestamp());
            current = entry.Read;
        }
        return current.WaitAsync(ct);
    }
}
