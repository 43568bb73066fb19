namespace Meshwork.Store.Entities;

/// <summary>
/// One live instance of the mesh's service registry (table <c>registry_instances</c>), held by a
/// lease: the control plane replica the instance's proxy is connected to renews it, the leader
/// removes it once it has run out. Shared by every replica, so a restarted or second replica knows
/// every instance before its proxy reconnects.
/// </summary>
public sealed class RegistryInstanceRow
{
    public required string ProxyId { get; set; }
    public required string Service { get; set; }
    public required string Namespace { get; set; }
    public required string Version { get; set; }

    /// <summary>host:port of the proxy's inbound (mTLS) listener, as callers reach it.</summary>
    public required string Address { get; set; }

    /// <summary>"Healthy", "Unhealthy" or "Unknown": the proxy's checks of its app.</summary>
    public required string Health { get; set; }

    /// <summary>The proxy's labels as a JSON object.</summary>
    public required string Labels { get; set; }

    public bool Gateway { get; set; }

    /// <summary>The replica holding the proxy's stream when the lease was last written.</summary>
    public required string ReplicaId { get; set; }

    /// <summary>The stream that wrote the row: a newer stream of the same proxy (elsewhere) replaces it.</summary>
    public Guid ConnectionId { get; set; }

    public DateTimeOffset RegisteredAt { get; set; }
    public DateTimeOffset LeaseExpiresAt { get; set; }
}
