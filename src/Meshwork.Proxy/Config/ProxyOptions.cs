namespace Meshwork.Proxy.Config;

/// <summary>
/// How the proxy process was started (section "Proxy": --Proxy:SnapshotFile=..., env Proxy__AdminPort).
/// Ports are bound once at start; a port left 0 is taken from the initial snapshot's listeners.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>Address the listeners bind to.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>/ready, /stats, /snapshot, /metrics.</summary>
    public int AdminPort { get; set; } = 15000;

    public int OutboundPort { get; set; }
    public int InboundPort { get; set; }
    public int GatewayPort { get; set; }

    /// <summary>null: as the initial snapshot's inbound listener says (TLS when it carries certificates).</summary>
    public bool? InboundTls { get; set; }

    /// <summary>null: as the initial snapshot's gateway listener says.</summary>
    public bool? GatewayTls { get; set; }

    /// <summary>A snapshot file (proto3 JSON) to serve and watch for changes; the standalone config source.</summary>
    public string? SnapshotFile { get; set; }

    /// <summary>How often the snapshot file is checked for changes.</summary>
    public TimeSpan SnapshotFilePollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Where the last good snapshot is kept, so a restart without a config source still serves.</summary>
    public string StateDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "meshwork-proxy");

    /// <summary>
    /// Run each request on the socket thread that received it instead of handing it to the thread pool
    /// (see <see cref="InlineIo"/>). On by default; turn off if a deployment adds blocking code to the data path.
    /// </summary>
    public bool InlineIo { get; set; } = true;

    /// <summary>
    /// The socket layer (docs/proxy.md, "Transport"): the proxy's own epoll event loops (default on
    /// Linux with inline I/O), or .NET's socket engine.
    /// </summary>
    public Transport.ProxyTransportKind Transport { get; set; } = Meshwork.Proxy.Transport.ProxyTransportKind.Epoll;

    /// <summary>Interval of the stats report to subscribers.</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On a clean stop (SIGTERM) of a proxy connected to a control plane: how long it keeps every
    /// listener serving after saying Goodbye, so callers receive and apply a snapshot without it
    /// before it closes (the control plane pushes within a debounce, 75 ms, plus the compile; 5 s,
    /// Istio's terminationDrainDuration, leaves room for a busy control plane and fits well inside
    /// Kubernetes' 30 s termination grace). 0: say Goodbye and stop at once. A proxy run from a
    /// snapshot file always stops at once (nobody to tell).
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);
}
