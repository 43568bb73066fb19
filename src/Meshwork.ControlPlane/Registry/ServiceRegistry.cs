using Meshwork.ControlPlane.Configuration;
using Meshwork.Model.Resources;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// The live instances this replica compiles snapshots from: the shared registry in PostgreSQL (every
/// replica's instances, under leases), overlaid with what this replica knows first-hand about the
/// proxies connected to it. A proxy connected here counts as this replica sees it; one that said
/// Goodbye here is gone at once (its row is being deleted); anything else is as last read from the
/// table. So a restarted or second replica knows every instance before its proxy reconnects, and
/// an instance only disappears when its proxy left on purpose or its lease ran out (the leader
/// removes it then): static stability.
/// Where Kubernetes EndpointSlices are watched, their ready endpoints are a third source: every
/// replica watches the same API server, so they stay in memory here and are never written to the
/// shared table (no leader needed); a pod whose proxy is registered counts once, as its proxy.
/// Every change names the services whose endpoints changed so the compiler recompiles only what depends on them.
/// </summary>
public sealed class ServiceRegistry(IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, RegisteredInstance> local = [];
    private Dictionary<string, SharedInstance> shared = [];
    // Proxies that said Goodbye here, with the stream that said it: the shared row of that stream is
    // hidden until a re-read no longer has it.
    private readonly Dictionary<string, Guid> departed = [];
    private readonly HashSet<string> pendingRegistrations = [];
    private readonly HashSet<string> pendingUpdates = [];
    private readonly List<(string ProxyId, Guid ConnectionId)> pendingRemovals = [];
    private readonly SemaphoreSlim writesPending = new(0, 1);
    // Instances from EndpointSlices: per watch (its owner, e.g. a namespace), per slice.
    private readonly Dictionary<string, Dictionary<string, IReadOnlyList<Instance>>> discovered = [];

    /// <summary>Raised (outside the lock) with each service whose endpoints changed.</summary>
    public event Action<ServiceRef>? Changed;

    /// <summary>A proxy said Hello here: its instance is this replica's now, and replaces the stored one.</summary>
    public void Register(RegisteredInstance instance)
    {
        var id = instance.Instance.ProxyId;
        Mutate([id], () =>
        {
            local[id] = instance;
            departed.Remove(id);
            pendingRegistrations.Add(id);
        });
    }

    /// <summary>
    /// Its stream was lost without a Goodbye: it stays an endpoint until its lease runs out (or it
    /// reconnects). The lease is written once more now, so it lasts a whole grace period from the loss.
    /// </summary>
    public void MarkDisconnected(string proxyId, Guid connectionId)
    {
        lock (gate)
        {
            if (!local.TryGetValue(proxyId, out var current) || current.ConnectionId != connectionId) return;
            local[proxyId] = current with { Connected = false, DisconnectedAt = time.GetUtcNow() };
            // Only where the row is still this stream's: the proxy may already be on another replica.
            pendingRegistrations.Remove(proxyId);
            pendingUpdates.Add(proxyId);
        }
        SignalWrites();
    }

    /// <summary>
    /// Removes the instance now (its proxy said Goodbye), unless a newer connection of the same proxy
    /// took over; returns what was removed.
    /// </summary>
    public RegisteredInstance? Deregister(string proxyId, Guid connectionId)
    {
        RegisteredInstance? removed = null;
        Mutate([proxyId], () =>
        {
            if (!local.TryGetValue(proxyId, out removed) || removed.ConnectionId != connectionId)
            {
                removed = null;
                return;
            }
            local.Remove(proxyId);
            departed[proxyId] = connectionId;
            pendingRegistrations.Remove(proxyId);
            pendingUpdates.Remove(proxyId);
            pendingRemovals.Add((proxyId, connectionId));
        });
        return removed;
    }

    public void SetHealth(string proxyId, InstanceHealth health) =>
        Mutate([proxyId], () =>
        {
            if (!local.TryGetValue(proxyId, out var current) || current.Instance.Health == health) return;
            local[proxyId] = current with { Instance = current.Instance with { Health = health } };
            pendingUpdates.Add(proxyId);
        });

    /// <summary>
    /// Forgets streams lost here longer than the grace period ago (their lease, if it was ever
    /// written, is the leader's to expire); returns them.
    /// </summary>
    public IReadOnlyList<RegisteredInstance> ForgetLost()
    {
        var cutoff = time.GetUtcNow() - options.Value.InstanceGracePeriod;
        List<RegisteredInstance> lost;
        lock (gate) lost = local.Values.Where(i => !i.Connected && i.DisconnectedAt <= cutoff).ToList();
        Mutate(lost.Select(i => i.Instance.ProxyId).ToList(), () =>
        {
            foreach (var instance in lost)
                if (local.TryGetValue(instance.Instance.ProxyId, out var current) && current == instance)
                    local.Remove(instance.Instance.ProxyId);
        });
        return lost;
    }

    /// <summary>The shared registry as just read from PostgreSQL.</summary>
    public void ReplaceShared(IReadOnlyCollection<SharedInstance> rows)
    {
        var next = rows.ToDictionary(r => r.Instance.ProxyId);
        List<string> touched;
        lock (gate) touched = shared.Keys.Union(next.Keys).ToList();
        Mutate(touched, () =>
        {
            shared = next;
            foreach (var (proxyId, connectionId) in departed.ToList())
                if (!shared.TryGetValue(proxyId, out var row) || row.ConnectionId != connectionId)
                    departed.Remove(proxyId);
        });
    }

    /// <summary>Rows the leader just deleted (their lease ran out): gone before the next re-read.</summary>
    public void RemoveShared(IReadOnlyCollection<(string ProxyId, Guid ConnectionId)> rows) =>
        Mutate(rows.Select(r => r.ProxyId).ToList(), () =>
        {
            foreach (var (proxyId, connectionId) in rows)
                if (shared.TryGetValue(proxyId, out var row) && row.ConnectionId == connectionId)
                    shared.Remove(proxyId);
        });

    /// <summary>The instances last accepted from one slice of a watch; null when it has none.</summary>
    public IReadOnlyList<Instance>? DiscoveredSlice(string owner, string slice)
    {
        lock (gate) return discovered.GetValueOrDefault(owner)?.GetValueOrDefault(slice);
    }

    /// <summary>One slice was added, changed (<paramref name="instances"/>) or deleted (null).</summary>
    public void SetDiscoveredSlice(string owner, string slice, IReadOnlyList<Instance>? instances) =>
        MutateDiscovered(() =>
        {
            if (instances is null)
            {
                if (discovered.GetValueOrDefault(owner)?.Remove(slice) == true && discovered[owner].Count == 0) discovered.Remove(owner);
                return;
            }
            if (!discovered.TryGetValue(owner, out var slices)) discovered[owner] = slices = [];
            slices[slice] = instances;
        });

    /// <summary>A watch re-listed: its slices are exactly these now.</summary>
    public void ReplaceDiscovered(string owner, IReadOnlyDictionary<string, IReadOnlyList<Instance>> slices) =>
        MutateDiscovered(() =>
        {
            if (slices.Count == 0) discovered.Remove(owner);
            else discovered[owner] = slices.ToDictionary();
        });

    /// <summary>Takes what is to be written to the shared registry; <see cref="Requeue"/> gives it back when the write failed.</summary>
    public PendingRegistryWrites TakePendingWrites()
    {
        lock (gate)
        {
            var writes = new PendingRegistryWrites(
                pendingRegistrations.Select(id => local.GetValueOrDefault(id)).OfType<RegisteredInstance>().Where(i => i.Connected).ToList(),
                pendingUpdates.Except(pendingRegistrations).Select(id => local.GetValueOrDefault(id)).OfType<RegisteredInstance>().ToList(),
                pendingRemovals.ToList());
            pendingRegistrations.Clear();
            pendingUpdates.Clear();
            pendingRemovals.Clear();
            return writes;
        }
    }

    public void Requeue(PendingRegistryWrites writes)
    {
        lock (gate)
        {
            // Only what still applies: a proxy that since left or reconnected was queued again by that.
            foreach (var instance in writes.Registrations.Where(i => IsCurrent(i) && i.Connected)) pendingRegistrations.Add(instance.Instance.ProxyId);
            foreach (var instance in writes.Updates.Where(IsCurrent)) pendingUpdates.Add(instance.Instance.ProxyId);
            pendingRemovals.AddRange(writes.Removals.Except(pendingRemovals));
        }
        SignalWrites();
    }

    /// <summary>Completes when there is something to write, or after <paramref name="timeout"/>.</summary>
    public Task<bool> WaitForWritesAsync(TimeSpan timeout, CancellationToken ct) => writesPending.WaitAsync(timeout, ct);

    /// <summary>The instances whose proxies are connected here now: their leases are this replica's to renew.</summary>
    public IReadOnlyList<RegisteredInstance> Connected()
    {
        lock (gate) return local.Values.Where(i => i.Connected).ToList();
    }

    /// <summary>This replica's own entry for the proxy (connected here, or lost here within its grace period).</summary>
    public RegisteredInstance? Get(string proxyId)
    {
        lock (gate) return local.GetValueOrDefault(proxyId);
    }

    /// <summary>The instance as callers see it, from whichever replica knows it.</summary>
    public Instance? Find(string proxyId)
    {
        lock (gate) return EffectiveOf(proxyId);
    }

    /// <summary>Every live instance (including those whose stream was lost and whose lease has not run out).</summary>
    public IReadOnlyList<Instance> Instances()
    {
        lock (gate) return InstancesLocked();
    }

    public IReadOnlyList<Instance> InstancesOf(ServiceRef service) =>
        Instances().Where(i => i.Service == service.Name && i.Namespace == service.Namespace).ToList();

    // Caller holds the lock.
    private List<Instance> InstancesLocked()
    {
        var fromProxies = shared.Keys.Union(local.Keys).Select(EffectiveOf).OfType<Instance>().ToList();
        var proxies = fromProxies.Select(i => i.ProxyId).ToHashSet(StringComparer.Ordinal);
        // A pod in two slices of one service (while the EndpointSlice controller moves it) counts once.
        var fromSlices = discovered.Values.SelectMany(slices => slices.Values).SelectMany(instances => instances)
            .Where(i => !proxies.Contains(i.ProxyId))
            .DistinctBy(i => (i.ProxyId, i.Service, i.Namespace));
        return fromProxies.Concat(fromSlices)
            .OrderBy(i => i.ProxyId, StringComparer.Ordinal).ThenBy(i => i.Namespace, StringComparer.Ordinal).ThenBy(i => i.Service, StringComparer.Ordinal)
            .ToList();
    }

    // Caller holds the lock.
    private Instance? EffectiveOf(string proxyId)
    {
        local.TryGetValue(proxyId, out var mine);
        if (mine is { Connected: true }) return mine.Instance;
        if (shared.TryGetValue(proxyId, out var row) && !(departed.TryGetValue(proxyId, out var gone) && gone == row.ConnectionId))
            return row.Instance;
        return mine?.Instance;
    }

    private bool IsCurrent(RegisteredInstance instance) =>
        local.TryGetValue(instance.Instance.ProxyId, out var current) && current.ConnectionId == instance.ConnectionId;

    /// <summary>Applies a change under the lock, then raises <see cref="Changed"/> for every service whose endpoints it changed.</summary>
    private void Mutate(IReadOnlyCollection<string> proxyIds, Action change)
    {
        HashSet<ServiceRef> changed = [];
        bool write;
        lock (gate)
        {
            var before = proxyIds.ToDictionary(id => id, EffectiveOf);
            change();
            foreach (var (id, previous) in before)
            {
                var now = EffectiveOf(id);
                if (previous == now) continue;
                if (previous is not null) changed.Add(new ServiceRef(previous.Service, previous.Namespace));
                if (now is not null) changed.Add(new ServiceRef(now.Service, now.Namespace));
            }
            write = pendingRegistrations.Count + pendingUpdates.Count + pendingRemovals.Count > 0;
        }
        if (write) SignalWrites();
        foreach (var service in changed) Changed?.Invoke(service);
    }

    /// <summary>Applies a change to the EndpointSlice instances, then raises <see cref="Changed"/> for every service whose instances differ.</summary>
    private void MutateDiscovered(Action change)
    {
        List<ServiceRef> changed;
        lock (gate)
        {
            var before = InstancesLocked();
            change();
            var after = InstancesLocked();
            changed = before.Except(after).Concat(after.Except(before)).Select(i => new ServiceRef(i.Service, i.Namespace)).Distinct().ToList();
        }
        foreach (var service in changed) Changed?.Invoke(service);
    }

    private void SignalWrites()
    {
        try
        {
            writesPending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the writer takes everything pending at once.
        }
    }
}
