using Meshwork.Protocol.Status;

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
    /// <summary>TCP route edges (connections and bytes between service versions), merged over the replicas.</summary>
    public IReadOnlyList<TcpEdgeSignals> TcpEdges { get; init; } = [];

    public int ConnectedControlPlanes => ControlPlanes.Count(c => c.Connected);

    /// <summary>Some replicas are up and some are not: their proxies are missing until they fail over.</summary>
    public bool Degraded => Connection == LiveConnection.Connected && ConnectedControlPlanes < ControlPlanes.Count;

    /// <summary>For example "2 of 2 control planes".</summary>
    public string ControlPlanesSummary => $"{ConnectedControlPlanes} of {ControlPlanes.Count} control plane{(ControlPlanes.Count == 1 ? "" : "s")}";
}
