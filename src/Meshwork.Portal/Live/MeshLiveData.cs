using Meshwork.Protocol.Status;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Portal.Live;

/// <summary>
/// The portal's one live-data service (in the style of the Aspire Dashboard's): the current state
/// (<see cref="Current"/>) plus a stream of changes to subscribe to (<see cref="Subscribe"/>), throttled
/// per subscriber and disposed with the page. Fed by the status stream of every control plane replica
/// (Portal:ControlPlane:Address, comma-separated; one <see cref="StatusFold"/> each, merged by
/// <see cref="MeshStatusMerge"/>) and by the store's change notifications (LISTEN meshwork_changes), so
/// another operator's change shows up on every open page without a reload. One per portal process.
/// </summary>
public sealed class MeshLiveData
{
    private readonly Lock gate = new();
    private readonly List<StatusFold> replicas;
    private readonly HashSet<LiveSubscription> subscribers = [];
    private readonly ILogger logger;
    private MeshStatusSnapshot current;
    private long resourcesVersion;

    /// <param name="addressSetting">Portal:ControlPlane:Address; a bad entry stops the portal at start, named.</param>
    public MeshLiveData(string? addressSetting, ILogger<MeshLiveData>? logger = null)
    {
        replicas = ControlPlaneAddressList.Parse(addressSetting, "Portal:ControlPlane:Address").Select(a => new StatusFold(a)).ToList();
        current = MeshStatusMerge.Merge(replicas);
        this.logger = logger ?? NullLogger<MeshLiveData>.Instance;
    }

    /// <summary>The replicas' status folds, in configuration order (the watcher feeds them).</summary>
    internal IReadOnlyList<StatusFold> Replicas => replicas;

    /// <summary>The control plane's live state, merged over its replicas.</summary>
    public MeshStatusSnapshot Current
    {
        get
        {
            lock (gate)
                return current;
        }
    }

    /// <summary>Counts committed changes to desired state the portal was told of (a resync counts too).</summary>
    public long ResourcesVersion => Interlocked.Read(ref resourcesVersion);

    /// <summary>
    /// Calls <paramref name="onChange"/> after changes, at most once per <paramref name="minInterval"/>, with what
    /// changed since the last call; read <see cref="Current"/> (or reload resources) there. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(Func<LiveChange, Task> onChange, TimeSpan minInterval)
    {
        var subscription = new LiveSubscription(this, onChange, minInterval, logger);
        lock (gate)
            subscribers.Add(subscription);
        return subscription;
    }

    internal void Unsubscribe(LiveSubscription subscription)
    {
        lock (gate)
            subscribers.Remove(subscription);
    }

    /// <summary>The number of live subscriptions (pages and hub clients that have not gone away).</summary>
    public int Subscribers
    {
        get
        {
            lock (gate)
                return subscribers.Count;
        }
    }

    /// <summary>An update from the replica at <paramref name="address"/>.</summary>
    public void Apply(string address, StatusUpdate update)
    {
        Fold(address).Apply(update);
        StatusChanged();
    }

    /// <summary>The stream from <paramref name="address"/> broke: its last state is kept, shown (marked stale) only while no replica is up.</summary>
    public void Disconnected(string address, string reason)
    {
        Fold(address).Disconnected(reason);
        StatusChanged();
    }

    /// <summary>A replica's fold changed: the merged view is made again and subscribers told.</summary>
    internal void StatusChanged()
    {
        lock (gate)
            current = MeshStatusMerge.Merge(replicas);
        Publish(LiveChange.Status);
    }

    /// <summary>The store committed a change (or asks for a resync after a lost connection).</summary>
    public void ResourcesChanged()
    {
        Interlocked.Increment(ref resourcesVersion);
        Publish(LiveChange.Resources);
    }

    private StatusFold Fold(string address) => replicas.Single(r => r.Address == address);

    private void Publish(LiveChange change)
    {
        LiveSubscription[] targets;
        lock (gate)
            targets = [.. subscribers];
        foreach (var subscriber in targets)
            subscriber.Notify(change);
    }
}
