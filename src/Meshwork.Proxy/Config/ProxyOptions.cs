using System.Net;
using Meshwork.Model.Resources;

namespace Meshwork.Proxy.Config;

/// <summary>
/// How the proxy process was started (section "Proxy": --Proxy:SnapshotFile=..., env Proxy__AdminPort).
/// Ports are bound once at start; a port left 0 is taken from the initial snapshot's listeners.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>
    /// Address the network-facing listeners bind to: inbound (mTLS from other proxies) and gateway.
    /// </summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// Address the local-only listeners bind to: outbound (the app's HTTP_PROXY: whoever reaches it
    /// sends with this proxy's identity) and admin (/stats, /snapshot, /metrics show the mesh's
    /// layout and traffic). Loopback by default, so only the app on the same host, pod or network
    /// namespace reaches them, as Envoy's sidecar admin and outbound ports.
    /// </summary>
    public string LocalBindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Address the outbound TCP listeners (one per TcpRoute port) bind to; null: <see cref="LocalBindAddress"/>.
    /// Local for the same reason as outbound HTTP. Several sidecars sharing one network namespace (one host,
    /// no pods) each need their own address here (127.0.0.2, 127.0.0.3...), since each listens on every route's port.
    /// </summary>
    public string? TcpBindAddress { get; set; }

    /// <summary>The address the TcpRoute listeners bind to: <see cref="TcpBindAddress"/>, else <see cref="LocalBindAddress"/>.</summary>
    public IPAddress TcpListenerAddress() => ListenerAddresses.Parse(TcpBindAddress ?? LocalBindAddress, $"{Section}:{nameof(TcpBindAddress)}");

    /// <summary>/ready, /stats, /snapshot, /metrics (on <see cref="LocalBindAddress"/>).</summary>
    public int AdminPort { get; set; } = 15000;

    public int OutboundPort { get; set; }
    public int InboundPort { get; set; }
    public int GatewayPort { get; set; }

    /// <summary>
    /// Transparent interception (docs/proxy.md, "Transparent interception"): the port the nat rules
    /// redirect the app's outbound TCP to (Istio's 15001), on <see cref="LocalBindAddress"/>. 0: off,
    /// the app uses HTTP_PROXY. The proxy must then run as the uid or gid the rules exempt.
    /// </summary>
    public int OutboundInterceptPort { get; set; }

    /// <summary>
    /// The port the nat rules redirect TCP arriving for the app's own ports to (Istio's 15006), on
    /// <see cref="BindAddress"/>: served exactly as the inbound listener (mTLS with a mesh
    /// certificate required, access policy, rate limit, then the app). 0: off.
    /// </summary>
    public int InboundInterceptPort { get; set; }

    /// <summary>
    /// How long an intercepted connection may stay silent before it is taken for a protocol whose
    /// server speaks first and relayed as TCP (HTTP clients send at once).
    /// </summary>
    public TimeSpan InterceptDetectionTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Connect timeout of a TCP passthrough to an intercepted connection's original destination.</summary>
    public TimeSpan InterceptConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a TCP passthrough to an original destination may carry no bytes either way before the proxy
    /// closes it: the mesh's TCP idle timeout (connectionPool.tcpIdleTimeout's default, 1 h), as Istio's
    /// PassthroughCluster has it and its ISTIO_META_IDLE_TIMEOUT proxy setting changes. Connections that take a
    /// TcpRoute use their destination's tcpIdleTimeout instead.
    /// </summary>
    public TimeSpan InterceptIdleTimeout { get; set; } = ConnectionPoolSettings.DefaultTcpIdleTimeout;

    /// <summary>null: as the initial snapshot's inbound listener says (TLS when it carries certificates).</summary>
    public bool? InboundTls { get; set; }

    /// <summary>null: as the initial snapshot's gateway listener says.</summary>
    public bool? GatewayTls { get; set; }

    /// <summary>A snapshot file (proto3 JSON) to serve and watch for changes; the standalone config source.</summary>
    public string? SnapshotFile { get; set; }

    /// <summary>How often the snapshot file is checked for changes.</summary>
    public TimeSpan SnapshotFilePollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Where the last good snapshot and the proxy's private key are kept, so a restart without a
    /// config source still serves. Owner-only: created 0700, and the proxy refuses to start when an
    /// existing folder is open to its group or others (every file in it is written 0600). Default:
    /// meshwork/proxy under the user's local data folder (~/.local/share), never a shared temp folder.
    /// </summary>
    public string StateDirectory { get; set; } = DefaultStateDirectory();

    private static string DefaultStateDirectory()
    {
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        return string.IsNullOrEmpty(data) ? Path.Combine(".meshwork", "proxy") : Path.Combine(data, "meshwork", "proxy");
    }

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

    /// <summary>
    /// Who serves HTTP/1.1 on the outbound listener (docs/proxy.md, "HTTP/1.1 engine"): Kestrel and YARP
    /// for every request, or the lean path for the requests and routes it covers, with Kestrel and YARP
    /// taking over a connection at its first request that the lean path does not cover; Auto (default)
    /// is the lean path unless tracing is on.
    /// </summary>
    public Http1.Http1Engine Http1Engine { get; set; } = Meshwork.Proxy.Http1.Http1Engine.Auto;

    /// <summary>
    /// Mirror copies in flight at once per mirror cluster (Routing/MirrorSender); beyond it a copy is
    /// dropped and counted (/stats: mirror.dropped, each cluster's mirrorDropped). Bounds what a slow
    /// mirror target can make the proxy hold: at most this many requests, each with a body of at most
    /// 64 KiB, for at most the 10 s mirror timeout.
    /// </summary>
    public int MirrorMaxInFlight { get; set; } = 100;

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
