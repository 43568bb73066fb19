using Meshwork.ControlPlane.Configuration;
using Meshwork.Model.Resources;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// Live instances, one per connected proxy. An instance appears when its proxy says Hello and
/// leaves a grace period after the proxy's stream is lost (a quick reconnect, e.g. a control plane
/// restart or a network blip, must not pull endpoints out of every caller's snapshot), or at once
/// when the proxy says Goodbye (it is stopping on purpose and drains while callers drop it).
/// Every change names the service it touched so the compiler recompiles only what depends on it.
/// </summary>
public sealed class ServiceRegistry(IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, RegisteredInstance> instances = [];

    /// <summary>Raised (outside the lock) with the service whose endpoints changed.</summary>
    public event Action<ServiceRef>? Changed;

    public void Register(RegisteredInstance instance)
    {
        bool unchanged;
        lock (gate)
        {
            // A proxy reconnecting within its grace period with the same address changes no endpoint.
            unchanged = instances.TryGetValue(instance.Instance.ProxyId, out var previous) && previous.Instance == instance.Instance;
            instances[instance.Instance.ProxyId] = instance;
        }
        if (!unchanged) Changed?.Invoke(instance.Service);
    }

    /// <summary>Starts the grace period, unless a newer connection of the same proxy took over.</summary>
    public void MarkDisconnected(string proxyId, Guid connectionId)
    {
        lock (gate)
        {
            if (!instances.TryGetValue(proxyId, out var current) || current.ConnectionId != connectionId) return;
            instances[proxyId] = current with { Connected = false, DisconnectedAt = time.GetUtcNow() };
        }
    }

    /// <summary>
    /// Removes the instance now (its proxy said Goodbye), unless a newer connection of the same proxy
    /// took over; returns what was removed.
    /// </summary>
    public RegisteredInstance? Deregister(string proxyId, Guid connectionId)
    {
        RegisteredInstance? removed;
        lock (gate)
        {
            if (!instances.TryGetValue(proxyId, out removed) || removed.ConnectionId != connectionId) return null;
            instances.Remove(proxyId);
        }
        Changed?.Invoke(removed.Service);
        return removed;
    }

    public void SetHealth(string proxyId, InstanceHealth health)
    {
        ServiceRef? changed = null;
        lock (gate)
        {
            if (instances.TryGetValue(proxyId, out var current) && current.Instance.Health != health)
            {
                instances[proxyId] = current with { Instance = current.Instance with { Health = health } };
                changed = current.Service;
            }
        }
        if (changed is { } service) Changed?.Invoke(service);
    }

    /// <summary>Removes instances whose proxy has been gone longer than the grace period; returns them.</summary>
    public IReadOnlyList<RegisteredInstance> RemoveExpired()
    {
        var cutoff = time.GetUtcNow() - options.Value.InstanceGracePeriod;
        List<RegisteredInstance> removed;
        lock (gate)
        {
            removed = instances.Values.Where(i => !i.Connected && i.DisconnectedAt <= cutoff).ToList();
            foreach (var instance in removed) instances.Remove(instance.Instance.ProxyId);
        }
        foreach (var service in removed.Select(i => i.Service).Distinct()) Changed?.Invoke(service);
        return removed;
    }

    public RegisteredInstance? Get(string proxyId)
    {
        lock (gate) return instances.GetValueOrDefault(proxyId);
    }

    /// <summary>Every instance still in the registry (including those in their grace period).</summary>
    public IReadOnlyList<Instance> Instances()
    {
        lock (gate) return instances.Values.Select(i => i.Instance).ToList();
    }

    public IReadOnlyList<Instance> InstancesOf(ServiceRef service)
    {
        lock (gate) return instances.Values.Where(i => i.Service == service).Select(i => i.Instance).ToList();
    }
}
