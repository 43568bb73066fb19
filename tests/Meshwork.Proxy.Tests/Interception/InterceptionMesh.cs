using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Tcp;

namespace Meshwork.Proxy.Tests.Interception;

/// <summary>
/// A pod made by hand: a network namespace with the nat rules installed by the proxy's own
/// `init-iptables`, and the "web" sidecar inside it, run as the exempt gid, listening for
/// intercepted connections. On the host, at the veth address: reviews v1 and v2 (plain HTTP,
/// split 50/50), the "secure" sidecar (mTLS inbound, a DENY policy on /private*, and one on TCP
/// from web's identity) in front of its app, "tcpecho" v1 and v2 each behind its own sidecar (a
/// TcpRoute splits them 50/50; another TcpRoute leads to secure), and a line-echo TCP server no
/// mesh resource knows; another one on a second host address, no mesh instance's, at tcpecho's route port. The app in the namespace is curl or bash, with no proxy settings: each name
/// resolves to the host's address, and only interception can bring the connection to the mesh.
/// </summary>
public class InterceptionMesh : IAsyncLifetime
{
    public const int ProxyGid = 1337;
    public const string DenyPolicy = "deny-private";
    public const string TcpRouteName = "default/tcpecho-tcp/0";

    /// <summary>The web sidecar's Proxy:InterceptIdleTimeout: short enough for a test to wait it out.</summary>
    public static readonly TimeSpan PassthroughIdleTimeout = TimeSpan.FromSeconds(5);

    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create();
    private readonly int interceptPort = FreePort.Next();
    private readonly int webAdminPort = FreePort.Next();
    private readonly int secureInboundPort = FreePort.Next();
    private readonly int webInboundInterceptPort = FreePort.Next();
    private readonly int tcpEchoV1InboundPort = FreePort.Next();
    private readonly int tcpEchoV2InboundPort = FreePort.Next();
    private string webDirectory = "";
    private readonly List<(TcpListener Listener, Task Loop)> echoes = [];
    private ScriptedBackend? secureApp;
    private ChildProcess? webApp;

    public NetworkNamespace Namespace { get; private set; } = null!;
    public ScriptedBackend ReviewsV1 { get; private set; } = null!;
    public ScriptedBackend ReviewsV2 { get; private set; } = null!;
    public ProxyProcess Secure { get; private set; } = null!;
    public TcpEchoBackend TcpEchoV1 { get; } = new("v1");
    public TcpEchoBackend TcpEchoV2 { get; } = new("v2");
    public ProxyProcess TcpEchoSidecarV1 { get; private set; } = null!;
    public ProxyProcess TcpEchoSidecarV2 { get; private set; } = null!;

    /// <summary>The TcpRoute splitting tcpecho 50/50: a plain client reaches it at a tcpecho endpoint's address (the host) and this port.</summary>
    public int TcpRoutePort { get; } = FreePort.Next();

    /// <summary>The TcpRoute to secure, whose sidecar denies TCP from web's identity.</summary>
    public int SecureTcpRoutePort { get; } = FreePort.Next();

    /// <summary>A host address no mesh instance has: its line-echo server listens on <see cref="TcpRoutePort"/>.</summary>
    public IPAddress UnknownAddress { get; private set; } = null!;
    public ChildProcess Web { get; private set; } = null!;
    public int EchoPort { get; private set; }

    /// <summary>The web app's own port in the namespace: what a caller dials, and the rules redirect to the sidecar.</summary>
    public int WebAppPort { get; } = FreePort.Next();
    /// <summary>The web sidecar's socket layer: the original destination is read from either.</summary>
    protected virtual string Transport => "Epoll";

    public string WebAdminUrl => $"http://{Namespace.NamespaceAddress}:{webAdminPort}";

    public async Task InitializeAsync()
    {
        Namespace = await NetworkNamespace.CreateAsync();
        var host = Namespace.HostAddress;
        ReviewsV1 = await ScriptedBackend.StartAsync("reviews-v1", host);
        ReviewsV2 = await ScriptedBackend.StartAsync("reviews-v2", host);
        secureApp = await ScriptedBackend.StartAsync("secure-app");
        EchoPort = StartEcho(host, 0);
        UnknownAddress = await Namespace.AddHostAddressAsync();
        StartEcho(UnknownAddress, TcpRoutePort);

        // Sidecars on the host listen on every TcpRoute port: each on its own loopback address.
        string[] HostSidecar(string tcpBindAddress) => ["--Proxy:BindAddress", host.ToString(), "--Proxy:TcpBindAddress", tcpBindAddress];
        var sidecars = await StartTogether.AllOrNoneAsync(
            ProxyProcess.StartAsync(SidecarSnapshot("secure", "v1", secureInboundPort, secureApp.Address), "proxy-secure", settings: HostSidecar("127.0.0.1")),
            ProxyProcess.StartAsync(SidecarSnapshot("tcpecho", "v1", tcpEchoV1InboundPort, TcpEchoV1.Address), "proxy-tcpecho-v1", settings: HostSidecar("127.0.0.5")),
            ProxyProcess.StartAsync(SidecarSnapshot("tcpecho", "v2", tcpEchoV2InboundPort, TcpEchoV2.Address), "proxy-tcpecho-v2", settings: HostSidecar("127.0.0.6")));
        (Secure, TcpEchoSidecarV1, TcpEchoSidecarV2) = (sidecars[0], sidecars[1], sidecars[2]);

        // The rules, installed as an init container would: the proxy binary's own subcommand.
        await NetworkNamespace.RunAsync([.. Namespace.Exec, "dotnet", Path.Combine(AppContext.BaseDirectory, "Meshwork.Proxy.dll"), "init-iptables",
            "--outbound-port", Text(interceptPort), "--proxy-gid", Text(ProxyGid),
            "--inbound-port", Text(webInboundInterceptPort), "--inbound-ports", Text(WebAppPort)]);
        webApp = ChildProcess.Start("Meshwork.DemoApps",
            ["backend", "--urls", $"http://0.0.0.0:{WebAppPort}", "--Demo:Service", "web", "--Demo:Version", "v1", "--Demo:Instance", "web-1"],
            name: "web-app", wrapper: Namespace.Exec);

        webDirectory = Directory.CreateTempSubdirectory("meshwork-intercept-test-").FullName;
        var snapshotFile = Path.Combine(webDirectory, "snapshot.json");
        await ProxyProcess.WriteSnapshotAsync(snapshotFile, WebSnapshot());
        // The sidecar runs as root with the exempt gid (Istio: uid and gid 1337): its own
        // connections are not redirected back to it. Admin faces the host so the test can read it.
        Web = ChildProcess.Start("Meshwork.Proxy",
        [
            "--Proxy:LocalBindAddress", "0.0.0.0",
            "--Proxy:AdminPort", Text(webAdminPort),
            "--Proxy:OutboundInterceptPort", Text(interceptPort),
            "--Proxy:InboundInterceptPort", Text(webInboundInterceptPort),
            "--Proxy:InterceptIdleTimeout", PassthroughIdleTimeout.ToString(),
            "--Proxy:StateDirectory", webDirectory,
            "--Proxy:SnapshotFile", snapshotFile,
            "--Logging:LogLevel:Default", "Warning",
            "--Proxy:Transport", Transport,
        ], name: "proxy-web", wrapper: [.. Namespace.Exec, "setpriv", $"--regid={ProxyGid}", "--clear-groups"]);
        await Web.WaitForHttpOkAsync(WebAdminUrl + "/ready");
        await NetworkNamespace.RunAsync([.. Namespace.Exec, "curl", "-sS", "--retry", "60", "--retry-connrefused", "--retry-delay", "1", "-o", "/dev/null", $"http://127.0.0.1:{WebAppPort}/"]);
    }

    /// <summary>curl in the namespace, the name resolving to the host's address (as DNS would give a service address).</summary>
    public async Task<CommandResult> CurlAsync(string service, params string[] paths)
    {
        string[] command = ["curl", "-sS", "--max-time", "60", "--resolve", $"{service}:80:{Namespace.HostAddress}", "-w", " %{http_code}\n"];
        return await Namespace.RunInsideAsync([.. command, .. paths.Select(p => $"http://{service}{p}")]);
    }

    /// <summary>A client on the host calling the web app's own port in the namespace, with a mesh certificate of <paramref name="service"/> (or none).</summary>
    public HttpClient AppPortClient(string? service)
    {
        var handler = new SocketsHttpHandler();
        if (service is not null)
            handler.SslOptions.ClientCertificates = [ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service)).Certificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => ca.Issued(certificate);
        return new HttpClient(handler) { BaseAddress = new Uri($"https://{Namespace.NamespaceAddress}:{WebAppPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task<string> WebMetricsAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await client.GetStringAsync(WebAdminUrl + "/metrics");
    }

    private ProxySnapshot Snapshot(ProxyIdentity proxy) => SnapshotCompiler.Compile(new SnapshotInputs
    {
        Resources = Resources(),
        Instances =
        [
            new() { Id = "reviews-v1", Service = "reviews", Version = "v1", Address = ReviewsV1.Address, ProxyId = "reviews-v1", Health = InstanceHealth.Healthy },
            new() { Id = "reviews-v2", Service = "reviews", Version = "v2", Address = ReviewsV2.Address, ProxyId = "reviews-v2", Health = InstanceHealth.Healthy },
            new() { Id = "secure-1", Service = "secure", Version = "v1", Address = $"{Namespace.HostAddress}:{secureInboundPort}", ProxyId = "proxy-secure-v1", Health = InstanceHealth.Healthy },
            new() { Id = "tcpecho-v1", Service = "tcpecho", Version = "v1", Address = $"{Namespace.HostAddress}:{tcpEchoV1InboundPort}", ProxyId = "proxy-tcpecho-v1", Health = InstanceHealth.Healthy },
            new() { Id = "tcpecho-v2", Service = "tcpecho", Version = "v2", Address = $"{Namespace.HostAddress}:{tcpEchoV2InboundPort}", ProxyId = "proxy-tcpecho-v2", Health = InstanceHealth.Healthy },
        ],
        Proxy = proxy,
        Certificates = MeshCertificates.For(ca, proxy.Service),
        Version = 1,
    });

    /// <summary>A host sidecar in front of its plain app (its own app cluster stays plain).</summary>
    private ProxySnapshot SidecarSnapshot(string service, string version, int inboundPort, string appAddress) =>
        Snapshot(new ProxyIdentity { ProxyId = $"proxy-{service}-{version}", Service = service, Version = version, InboundPort = inboundPort, AppAddress = appAddress });

    /// <summary>The web sidecar's: its clusters of the services behind sidecars are mTLS; reviews are plain apps.</summary>
    private ProxySnapshot WebSnapshot()
    {
        var snapshot = Snapshot(new ProxyIdentity { ProxyId = "proxy-web", Service = "web", Version = "v1", OutboundPort = FreePort.Next(), InboundPort = FreePort.Next(), AppAddress = $"127.0.0.1:{WebAppPort}" });
        return SnapshotHash.WithHash(snapshot with
        {
            Clusters = snapshot.Clusters.Select(c => c with { MeshTls = c.Service is "secure" or "tcpecho" }).ToArray(),
        });
    }

    private IReadOnlyList<Resource> Resources() =>
    [
        new Service { Metadata = new ResourceMetadata { Name = "reviews" }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] },
        new Service { Metadata = new ResourceMetadata { Name = "secure" }, Versions = [new ServiceVersion { Name = "v1" }] },
        new Service { Metadata = new ResourceMetadata { Name = "tcpecho" }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] },
        new TcpRoute
        {
            Metadata = new ResourceMetadata { Name = "tcpecho-tcp" },
            Service = "tcpecho",
            Port = TcpRoutePort,
            Rules = [new() { BackendRefs = [new() { Service = "tcpecho", Version = "v1", Weight = 50 }, new() { Service = "tcpecho", Version = "v2", Weight = 50 }] }],
        },
        new TcpRoute
        {
            Metadata = new ResourceMetadata { Name = "secure-tcp" },
            Service = "secure",
            Port = SecureTcpRoutePort,
            Rules = [new() { BackendRefs = [new() { Service = "secure", Version = "v1" }] }],
        },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "reviews" },
            ParentRefs = [new ParentRef { Name = "reviews" }],
            Rules =
            [
                new HttpRouteRule
                {
                    Name = "split",
                    BackendRefs = [new BackendRef { Service = "reviews", Version = "v1", Weight = 50 }, new BackendRef { Service = "reviews", Version = "v2", Weight = 50 }],
                },
            ],
        },
        new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = DenyPolicy },
            Service = "secure",
            Action = AccessAction.Deny,
            Rules = [new AccessRule { To = [new AccessOperation { Paths = ["/private*"] }] }],
        },
        // "to" is HTTP-only: on a TCP connection a DENY rule is checked on its sources alone (web's GETs stay allowed).
        new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = "no-tcp-from-web" },
            Service = "secure",
            Action = AccessAction.Deny,
            Rules = [new AccessRule { From = [new() { Principals = ["*/sa/web"] }], To = [new AccessOperation { Methods = ["PATCH"] }] }],
        },
    ];

    /// <summary>Answers each line with "echo: " and the line: a protocol the mesh does not know.</summary>
    private int StartEcho(IPAddress address, int port)
    {
        var echo = new TcpListener(address, port);
        echo.Start();
        var loop = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await echo.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var stream = client.GetStream();
                        using var reader = new StreamReader(stream, Encoding.ASCII);
                        while (await reader.ReadLineAsync() is { } line)
                            await stream.WriteAsync(Encoding.ASCII.GetBytes($"echo: {line}\n"));
                    }
                });
            }
        });
        echoes.Add((echo, loop));
        return ((IPEndPoint)echo.LocalEndpoint).Port;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async Task DisposeAsync()
    {
        if (Web is not null)
            await Web.DisposeAsync();
        if (webApp is not null)
            await webApp.DisposeAsync();
        foreach (var sidecar in new[] { Secure, TcpEchoSidecarV1, TcpEchoSidecarV2 })
        {
            if (sidecar is not null)
                await sidecar.DisposeAsync();
        }
        await TcpEchoV1.DisposeAsync();
        await TcpEchoV2.DisposeAsync();
        foreach (var backend in new[] { ReviewsV1, ReviewsV2, secureApp })
        {
            if (backend is not null)
                await backend.DisposeAsync();
        }
        foreach (var (listener, loop) in echoes)
        {
            listener.Stop();
            await loop;
        }
        if (Namespace is not null)
            await Namespace.DisposeAsync();
        if (webDirectory.Length > 0)
            ProxyProcess.DeleteDirectory(webDirectory);
        ca.Dispose();
    }
}

/// <summary>The same pod with the web sidecar on .NET's socket transport (Kestrel's IConnectionSocketFeature).</summary>
public sealed class SocketsInterceptionMesh : InterceptionMesh
{
    protected override string Transport => "Sockets";
}
