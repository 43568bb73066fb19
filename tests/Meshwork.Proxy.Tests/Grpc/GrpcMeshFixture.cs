using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Grpc;

/// <summary>
/// gRPC through the mesh, all real: a <see cref="GrpcBackend"/> behind the "greeter" sidecar
/// (mTLS inbound, h2c to its app), and a "client" sidecar whose outbound listener the test's gRPC
/// client dials with h2c prior knowledge, as an app's redirected connection to http://greeter
/// reaches its sidecar. Between the sidecars: HTTP/2 over mTLS. The greeter's policy retries
/// UNAVAILABLE; its route "capped" (header x-capped: true) has a 500 ms request timeout. A gateway
/// "edge" with a TLS listener routes greeter.example.com to the greeter (a client's h2 over TLS).
/// </summary>
public sealed class GrpcMeshFixture : IAsyncLifetime
{
    public static readonly TimeSpan CappedTimeout = TimeSpan.FromMilliseconds(500);
    public const string TestTimeoutHeader = "x-test-grpc-timeout";
    public const string GatewayHost = "greeter.example.com";

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create();
    public GrpcBackend Backend { get; private set; } = null!;
    public ProxyProcess Caller { get; private set; } = null!;
    public ProxyProcess Callee { get; private set; } = null!;
    public ProxyProcess Gateway { get; private set; } = null!;
    public int GatewayPort { get; } = FreePort.Next();
    public int OutboundPort { get; } = FreePort.Next();
    public int InboundPort { get; } = FreePort.Next();

    public async Task InitializeAsync()
    {
        Backend = await GrpcBackend.StartAsync();
        var proxies = await StartTogether.AllOrNoneAsync(
            ProxyProcess.StartAsync(Snapshot(new ProxyIdentity { ProxyId = "proxy-client", Service = "client", Version = "v1", OutboundPort = OutboundPort }), "proxy-grpc-client"),
            ProxyProcess.StartAsync(Snapshot(new ProxyIdentity { ProxyId = "proxy-greeter", Service = "greeter", Version = "v1", InboundPort = InboundPort, AppAddress = Backend.Address }), "proxy-grpc-greeter"),
            ProxyProcess.StartAsync(Snapshot(new ProxyIdentity { ProxyId = "proxy-edge", Service = "edge", Version = "v1", GatewayPort = GatewayPort, GatewayTls = true }), "proxy-grpc-edge"));
        (Caller, Callee, Gateway) = (proxies[0], proxies[1], proxies[2]);
    }

    /// <summary>
    /// A client of the greeter through the caller's sidecar: every connection goes to the sidecar's
    /// outbound port (h2c), the authority stays "greeter". A call's x-test-grpc-timeout header is sent
    /// as grpc-timeout, a deadline the client itself does not enforce, so the answer is the proxy's.
    /// </summary>
    public GrpcChannel Channel() =>
        GrpcChannel.ForAddress("http://greeter", new GrpcChannelOptions { HttpHandler = new GrpcTimeoutHeader(ConnectingTo(OutboundPort)) });

    /// <summary>A client with TLS (h2 by ALPN) to the gateway, as https://greeter.example.com, trusting only the test CA.</summary>
    public GrpcChannel GatewayChannel()
    {
        var handler = ConnectingTo(GatewayPort);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => Ca.Issued(certificate);
        return GrpcChannel.ForAddress($"https://{GatewayHost}", new GrpcChannelOptions { HttpHandler = handler });
    }

    private static SocketsHttpHandler ConnectingTo(int port) => new()
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    private ProxySnapshot Snapshot(ProxyIdentity identity)
    {
        return SnapshotHash.WithHash(SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = Resources(),
            Instances = [new Instance { Id = "greeter-1", Service = "greeter", Version = "v1", Address = $"127.0.0.1:{InboundPort}", ProxyId = "proxy-greeter", Health = InstanceHealth.Healthy }],
            Proxy = identity,
            Certificates = MeshCertificates.For(Ca, identity.Service),
            Version = 1,
        }));
    }

    private static IReadOnlyList<Resource> Resources() =>
    [
        PlainSidecar.Service("greeter"),
        PlainSidecar.Service("client"),
        new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "greeter" },
            Service = "greeter",
            Retries = new RetryPolicy { Attempts = 2, RetryOn = ["unavailable"], BackoffBase = TimeSpan.FromMilliseconds(10), BackoffMax = TimeSpan.FromMilliseconds(50) },
        },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "greeter" },
            ParentRefs = [new ParentRef { Name = "greeter" }],
            Rules =
            [
                new HttpRouteRule
                {
                    Name = "capped",
                    Matches = [new HttpRouteMatch { Headers = [new HeaderMatch { Name = "x-capped", Value = "true" }] }],
                    BackendRefs = [new BackendRef { Service = "greeter" }],
                    Timeouts = new RouteTimeouts { Request = CappedTimeout },
                },
                new HttpRouteRule { Name = "all", BackendRefs = [new BackendRef { Service = "greeter" }] },
            ],
        },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "edge-greeter" },
            ParentRefs = [new ParentRef { Kind = ParentKind.Gateway, Name = "edge" }],
            Hostnames = [GatewayHost],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "greeter" }] }],
        },
    ];

    public async Task DisposeAsync()
    {
        if (Caller is not null)
            await Caller.DisposeAsync();
        if (Callee is not null)
            await Callee.DisposeAsync();
        if (Gateway is not null)
            await Gateway.DisposeAsync();
        if (Backend is not null)
            await Backend.DisposeAsync();
        Ca.Dispose();
    }

    /// <summary>Sends a call's x-test-grpc-timeout metadata as its grpc-timeout header.</summary>
    private sealed class GrpcTimeoutHeader(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.TryGetValues(TestTimeoutHeader, out var values))
            {
                request.Headers.Remove(TestTimeoutHeader);
                request.Headers.TryAddWithoutValidation("grpc-timeout", values);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
