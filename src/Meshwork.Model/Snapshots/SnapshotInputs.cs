using Meshwork.Model.Resources;

namespace Meshwork.Model.Snapshots;

/// <summary>What the compiler needs: the desired state, the live instances, and who the proxy is.</summary>
public sealed record SnapshotInputs
{
    /// <summary>Every stored resource (services, routes, resilience and access policies, mesh settings); the compiler picks what this proxy needs.</summary>
    public IReadOnlyList<Resource> Resources { get; init; } = [];

    /// <summary>Live instances from the registry; unhealthy ones are kept (marked) so the proxy sees the whole picture.</summary>
    public IReadOnlyList<Instance> Instances { get; init; } = [];

    public required ProxyIdentity Proxy { get; init; }

    /// <summary>Issued by the mesh CA for this proxy; null compiles a snapshot without certificates (plain-text mesh, tests).</summary>
    public SnapshotCertificates? Certificates { get; init; }

    /// <summary>The version to stamp; the publisher bumps it when the hash changes.</summary>
    public long Version { get; init; }
}

/// <summary>The proxy being compiled for: its workload and the ports it was started with.</summary>
public sealed record ProxyIdentity
{
    public required string ProxyId { get; init; }

    /// <summary>The service the sidecar fronts; for a pure gateway, the gateway's name.</summary>
    public required string Service { get; init; }

    public string Namespace { get; init; } = ResourceMetadata.DefaultNamespace;
    public string Version { get; init; } = "";

    /// <summary>The local app's host:port; null means 127.0.0.1 and the Service resource's port.</summary>
    public string? AppAddress { get; init; }

    public int OutboundPort { get; init; }
    public int InboundPort { get; init; }

    /// <summary>0: not a gateway. A gateway serves HttpRoutes whose parentRef is a Gateway named <see cref="Service"/>.</summary>
    public int GatewayPort { get; init; }

    public bool GatewayTls { get; init; }
}
