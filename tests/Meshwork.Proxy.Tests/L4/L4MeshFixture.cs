using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Tcp;

namespace Meshwork.Proxy.Tests.L4;

/// <summary>
/// Real sidecar processes for the TCP relay: an echo app in versions v1 and v2, each behind its own sidecar
/// (mTLS inbound); a "web" sidecar whose TCP route port the tests connect to (80/20 between the versions);
/// and an "intruder" sidecar whose identity a DENY policy on echo names. Every sidecar listens on every
/// route's port, so each binds its TCP listeners to its own loopback address (they share one host).
/// </summary>
public sealed class L4MeshFixture : IAsyncLifetime
{
    public const string RouteName = "default/echo-tcp/0";
    public const int V1Weight = 80;

    /// <summary>How long a test polls for an outcome before it fails (generous: the machine may be loaded).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private long version = 1;

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create();
    public TcpEchoBackend EchoV1 { get; } = new("v1");
    public TcpEchoBackend EchoV2 { get; } = new("v2");
    public int RoutePort { get; } = FreePort.Next();
    private int V1InboundPort { get; } = FreePort.Next();
    private int V2InboundPort { get; } = FreePort.Next();
    private int WebOutboundPort { get; } = FreePort.Next();
    private int IntruderOutboundPort { get; } = FreePort.Next();

    public ProxyProcess Web { get; private set; } = null!;
    public ProxyProcess Intruder { get; private set; } = null!;
    public ProxyProcess SidecarV1 { get; private set; } = null!;
    public ProxyProcess SidecarV2 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var proxies = await StartTogether.AllOrNoneAsync(
            ProxyProcess.StartAsync(WebSnapshot(V1Weight), "proxy-l4-web"),
            ProxyProcess.StartAsync(Snapshot(Sidecar("intruder", "v1") with { OutboundPort = IntruderOutboundPort }), "proxy-l4-intruder", settings: Bind("127.0.0.4")),
            ProxyProcess.StartAsync(EchoSnapshot("v1"), "proxy-l4-echo-v1", settings: Bind("127.0.0.2")),
            ProxyProcess.StartAsync(EchoSnapshot("v2"), "proxy-l4-echo-v2", settings: Bind("127.0.0.3")));
        (Web, Intruder, SidecarV1, SidecarV2) = (proxies[0], proxies[1], proxies[2], proxies[3]);
    }

    /// <summary>
    /// The web sidecar's snapshot with the route split <paramref name="v1Weight"/>/(100 - it), at the next version;
    /// with <paramref name="pool"/>, a ResiliencePolicy on echo sets its connection pool (maxConnections per cluster,
    /// tcpIdleTimeout).
    /// </summary>
    public ProxySnapshot WebSnapshot(int v1Weight, ConnectionPoolSettings? pool = null) =>
        Snapshot(Sidecar("web", "v1") with { OutboundPort = WebOutboundPort }, v1Weight, pool);

    /// <summary>The snapshot of the sidecar in front of echo <paramref name="version"/>; <paramref name="pool"/> as for <see cref="WebSnapshot"/> (its tcpIdleTimeout governs the inbound relay).</summary>
    public ProxySnapshot EchoSnapshot(string version, ConnectionPoolSettings? pool = null) => Snapshot(
        Sidecar("echo", version) with { InboundPort = version == "v1" ? V1InboundPort : V2InboundPort, AppAddress = (version == "v1" ? EchoV1 : EchoV2).Address },
        V1Weight, pool);

    private static string[] Bind(string address) => ["--Proxy:TcpBindAddress", address];

    private static ProxyIdentity Sidecar(string service, string version) => new() { ProxyId = $"proxy-l4-{service}-{version}", Service = service, Version = version };

    private ProxySnapshot Snapshot(ProxyIdentity proxy, int v1Weight = V1Weight, ConnectionPoolSettings? pool = null) => SnapshotCompiler.Compile(new SnapshotInputs
    {
        Resources = [.. Resources(v1Weight), .. EchoPool(pool)],
        Instances =
        [
            new() { Id = "echo-v1", Service = "echo", Version = "v1", Address = $"127.0.0.1:{V1InboundPort}", ProxyId = "proxy-l4-echo-v1", Health = InstanceHealth.Healthy },
            new() { Id = "echo-v2", Service = "echo", Version = "v2", Address = $"127.0.0.1:{V2InboundPort}", ProxyId = "proxy-l4-echo-v2", Health = InstanceHealth.Healthy },
        ],
        Proxy = proxy,
        Certificates = Certificates(proxy.Service),
        Version = Interlocked.Increment(ref version),
    });

    private IReadOnlyList<Resource> Resources(int v1Weight) =>
    [
        new Service { Metadata = new() { Name = "echo" }, Versions = [new() { Name = "v1" }, new() { Name = "v2" }] },
        new Service { Metadata = new() { Name = "web" } },
        new Service { Metadata = new() { Name = "intruder" } },
        new TcpRoute
        {
            Metadata = new() { Name = "echo-tcp" },
            Service = "echo",
            Port = RoutePort,
            Rules = [new() { BackendRefs = [new() { Service = "echo", Version = "v1", Weight = v1Weight }, new() { Service = "echo", Version = "v2", Weight = 100 - v1Weight }] }],
        },
        // "to" is HTTP-only: on a TCP connection a DENY rule is checked on its sources alone.
        new AccessPolicy
        {
            Metadata = new() { Name = "no-intruders" },
            Service = "echo",
            Action = AccessAction.Deny,
            Rules = [new() { From = [new() { Principals = ["*/sa/intruder"] }], To = [new() { Methods = ["POST"] }] }],
        },
    ];

    private static IEnumerable<Resource> EchoPool(ConnectionPoolSettings? pool) => pool is null
        ? []
        : [new ResiliencePolicy { Metadata = new() { Name = "echo-pool" }, Service = "echo", ConnectionPool = pool }];

    private SnapshotCertificates Certificates(string service)
    {
        var issued = Ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service));
        return new SnapshotCertificates { CertificateChainPem = issued.CertificatePem, PrivateKeyPem = issued.PrivateKeyPem, TrustBundlePem = Ca.RootPem };
    }

    public async Task DisposeAsync()
    {
        var all = new IAsyncDisposable?[] { Web, Intruder, SidecarV1, SidecarV2, EchoV1, EchoV2 };
        await Task.WhenAll(all.Where(p => p is not null).Select(p => p!.DisposeAsync().AsTask()));
        Ca.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class L4MeshCollection : ICollectionFixture<L4MeshFixture>
{
    public const string Name = "l4-mesh";
}
