using Meshwork.Model.Resources;

namespace Meshwork.Model.Snapshots;

/// <summary>
/// Everything one proxy needs, compiled from the desired state by <see cref="SnapshotCompiler"/>:
/// immutable, versioned and hashed. The wire and file forms are the <c>ProxySnapshot</c> message of
/// snapshot.proto (Meshwork.Protocol maps between the two); the proxy works on this form.
/// </summary>
public sealed record ProxySnapshot
{
    /// <summary>Assigned by the publisher (control plane or file author); grows with every content change.</summary>
    public long Version { get; init; }

    /// <summary>Lower-case hex SHA-256 of the content (everything but Version and Hash), see <see cref="SnapshotHash"/>.</summary>
    public string Hash { get; init; } = "";

    public required SnapshotIdentity Identity { get; init; }
    public IReadOnlyList<SnapshotListener> Listeners { get; init; } = [];

    /// <summary>Outbound and gateway virtual hosts, each with its ordered, compiled route rules.</summary>
    public IReadOnlyList<VirtualHost> VirtualHosts { get; init; } = [];

    /// <summary>Outbound TCP listeners, one per TcpRoute, ordered by port.</summary>
    public IReadOnlyList<TcpRouteListener> TcpListeners { get; init; } = [];

    public IReadOnlyList<SnapshotCluster> Clusters { get; init; } = [];
    public InboundSettings Inbound { get; init; } = new();
    public SnapshotCertificates? Certificates { get; init; }

    /// <summary>How every listener normalises request paths before policies and routes see them (the mesh setting).</summary>
    public PathNormalization PathNormalization { get; init; } = PathNormalization.MergeSlashes;
}

/// <summary>Who the proxy is: the workload it fronts and its SPIFFE identity.</summary>
public sealed record SnapshotIdentity
{
    public required string ProxyId { get; init; }
    public required string Service { get; init; }
    public string Namespace { get; init; } = ResourceMetadata.DefaultNamespace;
    public string Version { get; init; } = "";
    public required string SpiffeId { get; init; }
    public string TrustDomain { get; init; } = "cluster.local";
}

public enum ListenerKind
{
    Outbound,
    Inbound,
    Gateway,
}

/// <summary>A listener the proxy should serve. Ports are fixed at start (Kestrel binds once); the snapshot says what each does.</summary>
public sealed record SnapshotListener
{
    public required string Name { get; init; }
    public required ListenerKind Kind { get; init; }
    public int Port { get; init; }

    /// <summary>Gateway only: terminate TLS with the proxy's certificate (inbound is always mTLS, outbound always plain).</summary>
    public bool Tls { get; init; }
}

/// <summary>A set of domains on one listener and the rules that route them, in precedence order.</summary>
public sealed record VirtualHost
{
    public required string Name { get; init; }
    public ListenerKind Listener { get; init; } = ListenerKind.Outbound;

    /// <summary>Host names matched case-insensitively, without port; "*" matches any, "*.example.com" a suffix.</summary>
    public IReadOnlyList<string> Domains { get; init; } = [];

    public IReadOnlyList<CompiledRule> Rules { get; init; } = [];
}

/// <summary>One HttpRoute rule with its backends resolved to cluster names.</summary>
public sealed record CompiledRule
{
    /// <summary>"namespace/route/rule-name-or-index": the label metrics and the portal use.</summary>
    public required string RouteName { get; init; }

    /// <summary>Any match selects the rule; empty matches everything.</summary>
    public IReadOnlyList<HttpRouteMatch> Matches { get; init; } = [];

    /// <summary>Header modifiers, URL rewrite and redirect; mirrors are resolved into <see cref="Mirrors"/>.</summary>
    public IReadOnlyList<HttpRouteFilter> Filters { get; init; } = [];

    public IReadOnlyList<WeightedCluster> Backends { get; init; } = [];
    public IReadOnlyList<MirrorTarget> Mirrors { get; init; } = [];
    public TimeSpan? RequestTimeout { get; init; }
    public TimeSpan? BackendRequestTimeout { get; init; }
    public FaultInjection? Fault { get; init; }
}

/// <summary>
/// A TcpRoute as a sidecar serves it: a port its outbound side listens on and the weighted clusters each
/// new connection goes to, over mTLS to the destination's inbound listener.
/// </summary>
public sealed record TcpRouteListener
{
    /// <summary>"namespace/route/rule-name-or-index", as HTTP rules are named: the route label of the TCP metrics.</summary>
    public required string RouteName { get; init; }

    public int Port { get; init; }
    public IReadOnlyList<WeightedCluster> Backends { get; init; } = [];
}

public sealed record WeightedCluster
{
    public required string Cluster { get; init; }
    public int Weight { get; init; } = 1;
}

public sealed record MirrorTarget
{
    public required string Cluster { get; init; }
    public double Percent { get; init; } = 100;
}

/// <summary>Endpoints of one service version (or of the whole service when Version is empty) and how to call them.</summary>
public sealed record SnapshotCluster
{
    /// <summary>"service.namespace|version" or "service.namespace" for all versions; "local-app" for the inbound app.</summary>
    public required string Name { get; init; }

    public string Service { get; init; } = "";
    public string Namespace { get; init; } = ResourceMetadata.DefaultNamespace;
    public string Version { get; init; } = "";

    /// <summary>True for mesh destinations (their inbound listeners need mTLS); false for the local app.</summary>
    public bool MeshTls { get; init; } = true;

    public IReadOnlyList<SnapshotEndpoint> Endpoints { get; init; } = [];
    public ClientSettings Settings { get; init; } = new();
}

public sealed record SnapshotEndpoint
{
    public required string InstanceId { get; init; }

    /// <summary>host:port.</summary>
    public required string Address { get; init; }

    public InstanceHealth Health { get; init; } = InstanceHealth.Unknown;

    /// <summary>The instance's service version (telemetry labels calls through all-versions clusters by it).</summary>
    public string Version { get; init; } = "";
}

/// <summary>The destination's ResiliencePolicy, as the calling proxy applies it.</summary>
public sealed record ClientSettings
{
    public RetryPolicy? Retries { get; init; }
    public ConnectionPoolSettings? ConnectionPool { get; init; }
    public OutlierDetection? OutlierDetection { get; init; }
    public ActiveHealthCheck? HealthCheck { get; init; }
    public LoadBalancerSettings LoadBalancer { get; init; } = new();
}

/// <summary>What the inbound listener enforces before forwarding to the local app.</summary>
public sealed record InboundSettings
{
    /// <summary>The cluster holding the local app (see <see cref="SnapshotCluster.Name"/>).</summary>
    public string AppCluster { get; init; } = "";

    public AccessMode DefaultMode { get; init; } = AccessMode.Permissive;

    /// <summary>Policies selecting this proxy's service, in (namespace, name) order.</summary>
    public IReadOnlyList<AccessPolicy> Policies { get; init; } = [];

    public LocalRateLimit? RateLimit { get; init; }

    /// <summary>Relayed TCP connections to the local app with no bytes either way for this long are closed: the proxy's own service's connectionPool.tcpIdleTimeout.</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = ConnectionPoolSettings.DefaultTcpIdleTimeout;
}

/// <summary>PEM texts: the proxy's leaf certificate (with its chain), its private key, and the trust bundle (CA roots).</summary>
public sealed record SnapshotCertificates
{
    public required string CertificateChainPem { get; init; }
    public required string PrivateKeyPem { get; init; }
    public required string TrustBundlePem { get; init; }
}
