using System.Net;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// Outbound mTLS checks which service answered: two instances are registered for `orders`
/// (v1 and v2), each behind its own sidecar with certificates from the same mesh CA; v1's sidecar
/// presents `orders`' identity, v2's an impostor presenting `payments`'. The caller's sidecar must
/// deliver to v1 and refuse the handshake with v2, so the impostor never sees a request.
/// </summary>
public sealed class UpstreamIdentityTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create();
    private readonly int genuineInbound = FreePort.Next();
    private readonly int impostorInbound = FreePort.Next();
    private readonly int callerOutbound = FreePort.Next();
    private DemoBackendProcess genuineApp = null!;
    private DemoBackendProcess impostorApp = null!;
    private ProxyProcess genuine = null!;
    private ProxyProcess impostor = null!;
    private ProxyProcess caller = null!;

    public async Task InitializeAsync()
    {
        var apps = await Task.WhenAll(
            DemoBackendProcess.StartAsync("orders", "v1", "orders-genuine"),
            DemoBackendProcess.StartAsync("orders", "v2", "orders-impostor"));
        (genuineApp, impostorApp) = (apps[0], apps[1]);
        var proxies = await Task.WhenAll(
            ProxyProcess.StartAsync(Sidecar("orders", genuineInbound, genuineApp), "proxy-orders-genuine"),
            ProxyProcess.StartAsync(Sidecar("payments", impostorInbound, impostorApp), "proxy-orders-impostor"),
            ProxyProcess.StartAsync(Caller(), "proxy-caller"));
        (genuine, impostor, caller) = (proxies[0], proxies[1], proxies[2]);
    }

    [Fact]
    public async Task OutboundMtls_EndpointPresentsAnotherServicesIdentity_GetsNoRequestWhileTheGenuineOneWorks()
    {
        using var client = ProxyProcess.OutboundClient(callerOutbound);

        using var toGenuine = await client.GetAsync("http://orders/items");
        Assert.Equal(HttpStatusCode.OK, toGenuine.StatusCode);
        Assert.Equal("orders-genuine", (await MeshFixture.EchoAsync(toGenuine)).Instance);

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders/items");
        request.Headers.Add("x-version", "v2");
        using var toImpostor = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadGateway, toImpostor.StatusCode);

        Assert.Equal(0, await impostorApp.RequestCountAsync());
        var refused = (await caller.StatsAsync()).GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == SnapshotCompiler.ClusterName("orders", "default", "v2"));
        Assert.True(refused.GetProperty("peerIdentityRefused").GetInt64() >= 1, refused.ToString());
        Assert.Equal(1, await genuineApp.RequestCountAsync());
    }

    private static IReadOnlyList<Resource> Resources() =>
    [
        new Service
        {
            Metadata = new ResourceMetadata { Name = "orders" },
            Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
        },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "orders" },
            ParentRefs = [new ParentRef { Name = "orders" }],
            Rules =
            [
                new HttpRouteRule
                {
                    Matches = [new HttpRouteMatch { Headers = [new HeaderMatch { Name = "x-version", Value = "v2" }] }],
                    BackendRefs = [new BackendRef { Service = "orders", Version = "v2" }],
                },
                new HttpRouteRule { BackendRefs = [new BackendRef { Service = "orders", Version = "v1" }] },
            ],
        },
    ];

    private IReadOnlyList<Instance> Instances() =>
    [
        new() { Id = "orders-1", Service = "orders", Version = "v1", Address = $"127.0.0.1:{genuineInbound}", ProxyId = "proxy-orders-genuine", Health = InstanceHealth.Healthy },
        new() { Id = "orders-2", Service = "orders", Version = "v2", Address = $"127.0.0.1:{impostorInbound}", ProxyId = "proxy-orders-impostor", Health = InstanceHealth.Healthy },
    ];

    /// <summary>A sidecar whose inbound listener presents <paramref name="identity"/>'s certificate and forwards to <paramref name="app"/>.</summary>
    private ProxySnapshot Sidecar(string identity, int inboundPort, DemoBackendProcess app) => SnapshotCompiler.Compile(new SnapshotInputs
    {
        Resources = Resources(),
        Instances = Instances(),
        Proxy = new ProxyIdentity { ProxyId = "proxy-" + app.Instance, Service = identity, Version = app.Version, InboundPort = inboundPort, AppAddress = app.Address },
        Certificates = Certificates(identity),
        Version = 1,
    });

    private ProxySnapshot Caller() => SnapshotCompiler.Compile(new SnapshotInputs
    {
        Resources = Resources(),
        Instances = Instances(),
        Proxy = new ProxyIdentity { ProxyId = "proxy-caller", Service = "web", Version = "v1", OutboundPort = callerOutbound },
        Certificates = Certificates("web"),
        Version = 1,
    });

    private SnapshotCertificates Certificates(string service)
    {
        var issued = ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service));
        return new SnapshotCertificates { CertificateChainPem = issued.CertificatePem, PrivateKeyPem = issued.PrivateKeyPem, TrustBundlePem = ca.RootPem };
    }

    public async Task DisposeAsync()
    {
        var all = new IAsyncDisposable?[] { caller, genuine, impostor, genuineApp, impostorApp };
        await Task.WhenAll(all.Where(p => p is not null).Select(p => p!.DisposeAsync().AsTask()));
        ca.Dispose();
    }
}
