namespace Meshwork.Model.Resources;

/// <summary>A service in the mesh and the versions (subsets) it is deployed as.</summary>
public sealed record Service : Resource
{
    public override ResourceKind Kind => ResourceKind.Service;

    /// <summary>The port the service's app listens on behind its sidecar.</summary>
    public int Port { get; init; } = 8080;

    public ServiceProtocol Protocol { get; init; } = ServiceProtocol.Http;
    public string? Description { get; init; }
    public IReadOnlyList<ServiceVersion> Versions { get; init; } = [];
}

public enum ServiceProtocol
{
    Http,
    Http2,
    Grpc,
}

/// <summary>A subset of a service's instances, selected by labels (Istio DestinationRule subset).</summary>
public sealed record ServiceVersion
{
    public required string Name { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>A live instance as the registry knows it. Runtime state, never stored as desired state.</summary>
public sealed record Instance
{
    public required string Id { get; init; }
    public required string Service { get; init; }
    public string Namespace { get; init; } = ResourceMetadata.DefaultNamespace;
    public required string Version { get; init; }

    /// <summary>host:port of the instance's inbound (mTLS) listener.</summary>
    public required string Address { get; init; }

    public InstanceHealth Health { get; init; } = InstanceHealth.Unknown;
    public required string ProxyId { get; init; }
}

public enum InstanceHealth
{
    Unknown,
    Healthy,
    Unhealthy,
}
