using System.Collections.Concurrent;

namespace Meshwork.Proxy.L4;

/// <summary>
/// Open relayed connections per cluster, bounded by the destination's ResiliencePolicy connectionPool.maxConnections
/// (as for HTTP): a connection beyond it is closed at once and counted (reason overflow) instead of queued.
/// </summary>
public sealed class TcpClusterSlots
{
    private readonly ConcurrentDictionary<string, StrongBox> open = new(StringComparer.Ordinal);

    public bool TryAcquire(string cluster, int limit)
    {
        var box = open.GetOrAdd(cluster, static _ => new StrongBox());
        if (Interlocked.Increment(ref box.Count) <= limit)
            return true;
        Interlocked.Decrement(ref box.Count);
        return false;
    }

    public void Release(string cluster)
    {
        if (open.TryGetValue(cluster, out var box))
            Interlocked.Decrement(ref box.Count);
    }

    private sealed class StrongBox
    {
        public int Count;
    }
}
