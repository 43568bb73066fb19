namespace Meshwork.Proxy.ControlPlane;

/// <summary>The proxy's "ControlPlaneClient" configuration section: where the control plane is and who this proxy is.</summary>
public sealed class ControlPlaneClientOptions
{
    public const string Section = "ControlPlaneClient";

    /// <summary>
    /// gRPC address of the control plane: https://host:15010 (TLS, verified against <see cref="TrustBundleFile"/>),
    /// or http:// for a control plane with ControlPlane:GrpcPlaintext (h2c, development). Several replicas:
    /// a comma-separated list; the proxy starts at one chosen from its id and fails over to the next
    /// (<see cref="ControlPlaneFailover"/>). Empty: the proxy runs from a snapshot file.
    /// </summary>
    public string Address { get; set; } = "";

    /// <summary>
    /// PEM file with the mesh root (the file the control plane writes to ControlPlane:TrustBundleFile),
    /// mounted at bootstrap; the replicas share one root, so it serves every address. Required for an https:// address: the control plane's certificate must
    /// chain to it (the system store is not used) and carry the control plane's SPIFFE id (<see cref="TrustDomain"/>). Read at every connect.
    /// </summary>
    public string TrustBundleFile { get; set; } = "";

    /// <summary>
    /// The mesh's trust domain (MeshSettings trustDomain). An https:// control plane must present the
    /// SPIFFE id spiffe://TRUST-DOMAIN/ns/meshwork-system/sa/control-plane; any other certificate,
    /// even one from the mesh CA, is refused. The host name dialled is not checked.
    /// </summary>
    public string TrustDomain { get; set; } = Meshwork.Protocol.Transport.ControlPlaneIdentity.DefaultTrustDomain;

    /// <summary>Issued by the portal/CLI; without a valid one the control plane sends nothing.</summary>
    public string BootstrapToken { get; set; } = "";

    /// <summary>Unique per proxy process; defaults to service-version-hostname-pid.</summary>
    public string? ProxyId { get; set; }

    public string Service { get; set; } = "";
    public string Namespace { get; set; } = "default";
    public string Version { get; set; } = "v1";

    /// <summary>host:port other proxies use to reach this proxy's inbound (mTLS) listener; default 127.0.0.1:InboundPort.</summary>
    public string InstanceAddress { get; set; } = "";

    /// <summary>0: Proxy:InboundPort (likewise for the outbound and gateway ports and GatewayTls).</summary>
    public int InboundPort { get; set; }
    public int OutboundPort { get; set; }

    /// <summary>Non-zero: gateway mode on this port.</summary>
    public int GatewayPort { get; set; }

    public bool GatewayTls { get; set; }

    /// <summary>host:port of the local app (health checks, inbound forwarding); empty for a pure gateway.</summary>
    public string AppAddress { get; set; } = "";

    /// <summary>Path probed on the local app every <see cref="ReportInterval"/>; 2xx means healthy.</summary>
    public string AppHealthPath { get; set; } = "/health";

    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>How often app health goes up the stream (stats follow the proxy's own 1 s report loop).</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reconnect backoff: doubles from Initial up to Max, each wait jittered to 50–100%. With several
    /// addresses it applies once every address failed in a row; until then the next one is tried at once.
    /// </summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    public string EffectiveProxyId => string.IsNullOrWhiteSpace(ProxyId)
        ? $"{Service}-{Version}-{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant()
        : ProxyId;
}
