using Meshwork.Protocol.Status;
using Meshwork.Protocol.Transport;

namespace Meshwork.Portal.Live;

public enum LiveConnection
{
    /// <summary>Portal:ControlPlane:Address is not set.</summary>
    NotConfigured,
    /// <summary>No control plane stream is up (yet, or any more).</summary>
    Connecting,
    /// <summary>At least one control plane replica's stream is up.</summary>
    Connected,
}

/// <summary>One control plane replica's status stream, as the pages report it.</summary>
public sealed record ControlPlaneStream(string Address, bool Connected, string? LastError);

/// <summary>One immutable view of the control plane's live state, as pages render it (merged over its replicas).</summary>
public sealed record MeshStatusSnapshot(
    LiveConnection Connection,
    string? Address,
    string? LastError,
    DateTimeOffset? UpdatedAt,
    long ConfigVersion,
    IReadOnlyList<ProxyStatus> Proxies,
    IReadOnlyList<EdgeSignals> Edges,
    IReadOnlyList<ServiceVersionSignals> ServiceVersions,
    IReadOnlyList<MeshEvent> Events,
    IReadOnlyList<ControlPlaneStream> ControlPlanes)
{
    public int ConnectedControlPlanes => ControlPlanes.Count(c => c.Connected);

    /// <summary>Some replicas are up and some are not: their proxies are missing until they fail over.</summary>
    public bool Degraded => Connection == LiveConnection.Connected && ConnectedControlPlanes < ControlPlanes.Count;

    /// <summary>For example "2 of 2 control planes".</summary>
    public string ControlPlanesSummary => $"{ConnectedControlPlanes} of {ControlPlanes.Count} control plane{(ControlPlanes.Count == 1 ? "" : "s")}";
}

/// <summary>
/// The status streams of every control plane replica (Portal:ControlPlane:Address, comma-separated),
/// each folded into its own state and presented merged (<see cref="MeshStatusMerge"/>): one per portal
/// process, shared by every circuit. Pages read <see cref="Current"/> and re-render on <see cref="Changed"/>.
/// </summary>
public sealed class MeshStatusState
{
    public const int MaxEvents = 200;

    private readonly Lock gate = new();
    private readonly List<ReplicaStatus> replicas;
    private MeshStatusSnapshot current;

    /// <param name="addressSetting">Portal:ControlPlane:Address; a bad entry stops the portal at start, named.</param>
    public MeshStatusState(string? addressSetting)
    {
        replicas = ControlPlaneAddressList.Parse(addressSetting, "Portal:ControlPlane:Address").Select(a => new ReplicaStatus(a)).ToList();
        current = MeshStatusMerge.Merge(replicas);
    }

    /// <summary>The replicas' addresses, in configuration order.</summary>
    public IReadOnlyList<string> Addresses => replicas.Select(r => r.Address).ToList();

    public MeshStatusSnapshot Current
    {
        get
        {
            lock (gate)
                return current;
        }
    }

    /// <summary>Raised after every change, outside the lock; handlers must be quick (pages marshal to their renderer).</summary>
    public event Action? Changed;

    /// <summary>An update from the replica at <paramref name="address"/>.</summary>
    public void Apply(string address, StatusUpdate update) => Change(address, replica => replica.Apply(update));

    /// <summary>The stream from <paramref name="address"/> broke: its last state is kept, shown (marked stale) only while no replica is up.</summary>
    public void Disconnected(string address, string reason) => Change(address, replica => replica.Disconnected(reason));

    private void Change(string address, Action<ReplicaStatus> change)
    {
        lock (gate)
        {
            change(replicas.Single(r => r.Address == address));
            current = MeshStatusMerge.Merge(replicas);
        }
        Changed?.Invoke();
    }
}
