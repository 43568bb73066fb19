using System.Collections.Concurrent;
using Meshwork.Model.Resources;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Live per-cluster counters that outlive snapshot swaps: concurrency for circuit breaking, the
/// retry budget and the mirror cap, and totals for /stats.
/// </summary>
public sealed class ClusterCounters
{
    private long active;
    private long activeRetries;
    private long retries;
    private long retryBudgetExhausted;
    private long overflows;
    private long ejections;
    private long peerIdentityRefused;
    private long activeMirrors;
    private long mirrorsDropped;

    public long Active => Interlocked.Read(ref active);
    public long ActiveRetries => Interlocked.Read(ref activeRetries);
    public long Retries => Interlocked.Read(ref retries);
    public long RetryBudgetExhausted => Interlocked.Read(ref retryBudgetExhausted);
    /// <summary>Requests refused by circuit breaking plus connections that waited for max_connections.</summary>
    public long Overflows => Interlocked.Read(ref overflows);
    public long Ejections => Interlocked.Read(ref ejections);
    /// <summary>TLS handshakes refused because the endpoint presented another service's SPIFFE id.</summary>
    public long PeerIdentityRefused => Interlocked.Read(ref peerIdentityRefused);
    /// <summary>Mirror copies to this cluster in flight now.</summary>
    public long ActiveMirrors => Interlocked.Read(ref activeMirrors);
    /// <summary>Mirror copies to this cluster dropped because <see cref="ActiveMirrors"/> was at the cap.</summary>
    public long MirrorsDropped => Interlocked.Read(ref mirrorsDropped);

    /// <summary>
    /// Envoy circuit breaking: admit the request unless the cluster already has max_requests in
    /// flight, or more than max_connections + max_pending_requests (the rest would queue for a
    /// connection). Returns the overflow reason, or null when admitted (then call <see cref="Exit"/>).
    /// </summary>
    public string? TryEnter(ConnectionPoolSettings? pool)
    {
        var now = Interlocked.Increment(ref active);
        if (pool is null)
            return null;
        string? reason = null;
        if (now > pool.MaxRequests)
            reason = "max_requests";
        else if (now > (long)pool.MaxConnections + pool.MaxPendingRequests)
            reason = "max_pending_requests";
        if (reason is not null)
        {
            Interlocked.Decrement(ref active);
            Interlocked.Increment(ref overflows);
        }
        return reason;
    }

    public void Exit() => Interlocked.Decrement(ref active);

    /// <summary>A new connection had to wait for the cluster's max_connections (Envoy's upstream_cx_overflow).</summary>
    public void CountConnectionOverflow() => Interlocked.Increment(ref overflows);

    /// <summary>Envoy retry budget: concurrent retries may be at most budget% of active requests, but never fewer than the minimum.</summary>
    public bool TryStartRetry(RetryBudget budget)
    {
        var allowed = Math.Max(budget.MinRetryConcurrency, (long)(budget.BudgetPercent / 100.0 * Active));
        var now = Interlocked.Increment(ref activeRetries);
        if (now > allowed)
        {
            Interlocked.Decrement(ref activeRetries);
            Interlocked.Increment(ref retryBudgetExhausted);
            return false;
        }
        Interlocked.Increment(ref retries);
        return true;
    }

    public void EndRetry() => Interlocked.Decrement(ref activeRetries);

    public void CountEjection() => Interlocked.Increment(ref ejections);

    public void CountPeerIdentityRefused() => Interlocked.Increment(ref peerIdentityRefused);

    /// <summary>Admits a mirror copy unless <paramref name="limit"/> are in flight (then it is counted as dropped); call <see cref="EndMirror"/> when admitted.</summary>
    public bool TryStartMirror(int limit)
    {
        if (Interlocked.Increment(ref activeMirrors) <= limit)
            return true;
        Interlocked.Decrement(ref activeMirrors);
        Interlocked.Increment(ref mirrorsDropped);
        return false;
    }

    public void EndMirror() => Interlocked.Decrement(ref activeMirrors);
}

/// <summary>Counters by cluster name.</summary>
public sealed class ClusterCounterRegistry
{
    private readonly ConcurrentDictionary<string, ClusterCounters> counters = new(StringComparer.Ordinal);

    public ClusterCounters For(string cluster) => counters.GetOrAdd(cluster, static _ => new ClusterCounters());

    public IEnumerable<KeyValuePair<string, ClusterCounters>> All => counters;
}
