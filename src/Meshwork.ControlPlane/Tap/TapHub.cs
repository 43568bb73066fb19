using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Status;
using Meshwork.ControlPlane.Streams;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Tap;

namespace Meshwork.ControlPlane.Tap;

/// <summary>
/// Live taps on this replica, one per watched service, shared by its watchers (reference counted):
/// the first watcher starts it on the service's connected proxies, <see cref="RenewAll"/> renews it
/// (and reaches proxies that connected meanwhile) well within its time to live, the last watcher to
/// leave stops it. Samples from a proxy are accepted only for the tap it was asked for, checked field
/// by field, and copied to every watcher's bounded buffer.
/// </summary>
public sealed class TapHub(ConnectionTable connections, FleetState fleet, TimeProvider time)
{
    /// <summary>A proxy stops tapping by itself this long after the last renewal.</summary>
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(10);

    /// <summary>Renewals come this often, so two may be lost before a tap lapses.</summary>
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan RejectionEventInterval = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private readonly Dictionary<ServiceRef, ServiceTap> taps = [];

    /// <summary>Starts watching <paramref name="service"/>; dispose the watcher to leave.</summary>
    public TapWatcher Watch(ServiceRef service)
    {
        var watcher = new TapWatcher(this, service);
        lock (gate)
        {
            if (!taps.TryGetValue(service, out var tap)) taps[service] = tap = new ServiceTap(Guid.NewGuid().ToString("N"));
            tap.Watchers.Add(watcher);
        }
        Renew(service);
        return watcher;
    }

    /// <summary>Proxies asked to tap <paramref name="service"/> whose streams are still open.</summary>
    public int Tapping(ServiceRef service)
    {
        lock (gate) return taps.TryGetValue(service, out var tap) ? tap.Asked.Count(c => !c.Closed.IsCancellationRequested) : 0;
    }

    internal void Leave(TapWatcher watcher)
    {
        ServiceTap? ended = null;
        lock (gate)
        {
            if (taps.TryGetValue(watcher.Service, out var tap) && tap.Watchers.Remove(watcher) && tap.Watchers.Count == 0)
            {
                taps.Remove(watcher.Service);
                ended = tap;
            }
        }
        if (ended is null) return;
        foreach (var connection in ended.Asked)
            connection.Send(new TapControl { TapId = ended.Id, Stop = true });
    }

    /// <summary>Renews every tap on the proxies of its service (new ones included); forgets closed streams.</summary>
    public void RenewAll()
    {
        List<ServiceRef> services;
        lock (gate) services = [.. taps.Keys];
        foreach (var service in services) Renew(service);
    }

    /// <summary>A proxy that connects while its service is tapped starts tapping at once.</summary>
    public void ProxyConnected(ProxyConnection connection)
    {
        if (connection.Hello.Gateway) return;
        lock (gate)
        {
            if (!taps.ContainsKey(connection.Service)) return;
        }
        Renew(connection.Service);
    }

    private void Renew(ServiceRef service)
    {
        // Gateways have no inbound listener: nothing of the service passes through them.
        var proxies = connections.All().Where(c => c.Service == service && !c.Hello.Gateway).ToList();
        TapControl control;
        lock (gate)
        {
            if (!taps.TryGetValue(service, out var tap)) return;
            tap.Asked.RemoveWhere(c => c.Closed.IsCancellationRequested);
            tap.Asked.UnionWith(proxies);
            control = new TapControl { TapId = tap.Id, MaxSamplesPerSecond = TapLimits.MaxSamplesPerSecond, TtlMs = (int)TimeToLive.TotalMilliseconds };
        }
        foreach (var proxy in proxies) proxy.Send(control);
    }

    /// <summary>
    /// Relays a proxy's batch to the watchers of its service. A batch for a tap this stream was not asked
    /// for (a stop crossing a last flush, or a proxy making samples up) is dropped; a sample that breaks
    /// the rules is dropped with a warning event (at most one a minute per proxy): only that proxy loses anything.
    /// </summary>
    public void Accept(ProxyConnection connection, TapSamples batch)
    {
        TapWatcher[] watchers;
        lock (gate)
        {
            if (!taps.TryGetValue(connection.Service, out var tap) || tap.Id != batch.TapId || !tap.Asked.Contains(connection)) return;
            watchers = [.. tap.Watchers];
        }
        if (batch.Samples.Count > TapSampleValidator.MaxSamplesPerBatch)
        {
            Reject(connection, $"dropped a batch of {batch.Samples.Count} tap samples (at most {TapSampleValidator.MaxSamplesPerBatch})");
            return;
        }
        var hello = connection.Hello;
        var valid = new List<RequestSample>(batch.Samples.Count);
        string? problem = null;
        foreach (var sample in batch.Samples)
        {
            if (TapSampleValidator.Problem(sample, hello.Service, hello.Namespace, hello.Version) is { } invalid) problem ??= invalid;
            else valid.Add(sample);
        }
        if (problem is not null)
            Reject(connection, $"dropped {batch.Samples.Count - valid.Count} tap sample(s) that are not valid, first: {problem}");
        foreach (var watcher in watchers) watcher.Offer(valid, batch.Dropped);
    }

    private void Reject(ProxyConnection connection, string message)
    {
        var now = time.GetUtcNow();
        if (now - connection.TapRejectedAt < RejectionEventInterval) return;
        connection.TapRejectedAt = now;
        fleet.Event("TapSamplesRejected", "Warning", connection.ProxyId, connection.Hello.Service, connection.Hello.Namespace, message);
    }

    private sealed class ServiceTap(string id)
    {
        public string Id { get; } = id;
        public List<TapWatcher> Watchers { get; } = [];
        public HashSet<ProxyConnection> Asked { get; } = [];
    }
}
