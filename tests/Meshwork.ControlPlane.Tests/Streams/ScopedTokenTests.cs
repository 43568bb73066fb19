using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// Bootstrap tokens scoped to one namespace and service, the reserved control-plane identity,
/// revocation and expiry of open streams, and the reconnect with the workload certificate after the
/// join: protocol-level proxies against the real control plane, its TLS port and PostgreSQL.
/// </summary>
public sealed class ScopedTokenTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Connect_TokenForShopOrders_JoinsAsOrdersButNeverAsPaymentsOrInAnotherNamespace()
    {
        var token = await TestTokens.IssueAsync(fixture.ConnectionString, service: "orders", ns: "shop");

        await using var payments = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(token, "scoped-payments-1", "payments", ns: "shop"));
        var refused = await payments.CompletionAsync(Timeout);
        await using var elsewhere = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(token, "scoped-orders-elsewhere", "orders", ns: "default"));
        var refusedElsewhere = await elsewhere.CompletionAsync(Timeout);
        await using var orders = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(token, "scoped-orders-1", "orders", ns: "shop"));
        var snapshot = await orders.WaitForAsync(_ => true, Timeout);

        Assert.Equal(StatusCode.PermissionDenied, refused?.StatusCode);
        Assert.Contains("is for shop/orders, not shop/payments", refused!.Status.Detail);
        Assert.Equal(0, payments.Received);
        Assert.Equal(StatusCode.PermissionDenied, refusedElsewhere?.StatusCode);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/orders", snapshot.Identity.SpiffeId);
    }

    [Fact]
    public async Task Connect_ControlPlaneNamespace_IsRefusedEvenWithAWildcardToken()
    {
        // fixture.Token is an explicit wildcard ("*" namespace and service).
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel,
            SimulatedProxy.HelloFor(fixture.Token, "not-the-control-plane", "control-plane", ns: "meshwork-system"));

        var failure = await proxy.CompletionAsync(Timeout);

        Assert.Equal(StatusCode.PermissionDenied, failure?.StatusCode);
        Assert.Contains("'meshwork-system' is the control plane's own identity", failure!.Status.Detail);
        Assert.Equal(0, proxy.Received);
    }

    [Fact]
    public async Task Revoke_OpenTokenStream_IsClosedWithPermissionDenied_AndTheTokenJoinsNoMore()
    {
        var issued = await TestTokens.IssueWithIdAsync(fixture.ConnectionString, "revoked-svc", "default");
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(issued.Secret, "revoked-1", "revoked-svc"));
        await proxy.WaitForAsync(_ => true, Timeout);

        await TestTokens.RevokeAsync(fixture.ConnectionString, issued.Id);
        var closed = await proxy.CompletionAsync(Timeout);
        await using var again = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(issued.Secret, "revoked-2", "revoked-svc"));
        var refused = await again.CompletionAsync(Timeout);

        Assert.Equal(StatusCode.PermissionDenied, closed?.StatusCode);
        Assert.Contains("was revoked", closed!.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, refused?.StatusCode);
        Assert.Equal(0, again.Received);
    }

    [Fact]
    public async Task TokenExpiry_ClosesTheTokenStream_AndTheProxyReconnectsWithItsWorkloadCertificate()
    {
        using var key = new ProxyKeyPair();
        var issued = await TestTokens.IssueWithIdAsync(fixture.ConnectionString, "expiring", "default", validFor: TimeSpan.FromSeconds(5));
        var hello = SimulatedProxy.HelloFor(issued.Secret, "expiring-1", "expiring", signingRequest: key.SigningRequest);
        await using var joined = await SimulatedProxy.ConnectAsync(fixture.Channel, hello);
        var first = await joined.WaitForAsync(_ => true, Timeout);

        // The stream rode on the token: it ends once the token expired.
        var expired = await joined.CompletionAsync(Timeout);
        // Without a certificate the expired token admits nobody any more...
        await using var tokenOnly = await SimulatedProxy.ConnectAsync(fixture.Channel, hello.Clone());
        var refused = await tokenOnly.CompletionAsync(Timeout);
        // ...but the certificate it was given is its credential now, on a new TLS connection.
        using var certificate = key.CertificateFrom(first);
        using var channel = ProxyKeyPair.ChannelWith(fixture.ControlPlane, certificate);
        await using var reconnected = await SimulatedProxy.ConnectAsync(channel, hello.Clone());
        var snapshot = await reconnected.WaitForAsync(_ => true, Timeout);

        Assert.Equal(StatusCode.Unauthenticated, expired?.StatusCode);
        Assert.Contains("expired", expired!.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, refused?.StatusCode);
        Assert.Contains("expired", refused!.Status.Detail);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/expiring", snapshot.Identity.SpiffeId);
        Assert.Null(reconnected.Failure);
    }

    [Fact]
    public async Task RealProxy_AfterItsTokenExpired_ReconnectsWithItsWorkloadCertificate()
    {
        await using var status = new StatusWatcher(fixture.ControlPlane);
        var token = await TestTokens.IssueAsync(fixture.ConnectionString, "expiring-real", "default", validFor: TimeSpan.FromSeconds(40));
        await using var proxy = await MeshProxy.StartAsync(fixture.ControlPlane, token, "expiring-real-1", "expiring-real", "v1", appAddress: null);

        // Long enough for a proxy process to start and join on a loaded machine. The control plane ends
        // the stream that rode on the token once it expired; the proxy comes
        // back on a new connection presenting the certificate its first snapshot gave it.
        await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "ProxyConnected" && e.ProxyId == "expiring-real-1"
            && e.Message.Contains("workload certificate", StringComparison.Ordinal)), TimeSpan.FromSeconds(120), "the proxy reconnected with its certificate");

        await status.WaitUntilAsync(s => s.Proxy("expiring-real-1")?.Connected == true, Timeout, "the proxy is connected");
        Assert.True((await proxy.ControlPlaneLinkAsync()).Connected);
    }

    [Fact]
    public async Task Revoke_EvictsProxiesOnTheirCertificateToo_AndRefusesThatCertificateAfterwards()
    {
        using var key = new ProxyKeyPair();
        var issued = await TestTokens.IssueWithIdAsync(fixture.ConnectionString, "evicted", "default");
        var hello = SimulatedProxy.HelloFor(issued.Secret, "evicted-1", "evicted", signingRequest: key.SigningRequest);
        using var certificate = key.CertificateFrom(await JoinOnceAsync(hello));
        using var channel = ProxyKeyPair.ChannelWith(fixture.ControlPlane, certificate);
        await using var onCertificate = await SimulatedProxy.ConnectAsync(channel, hello.Clone());
        await onCertificate.WaitForAsync(_ => true, Timeout);

        await TestTokens.RevokeAsync(fixture.ConnectionString, issued.Id);
        var evicted = await onCertificate.CompletionAsync(Timeout);
        using var again = ProxyKeyPair.ChannelWith(fixture.ControlPlane, certificate);
        await using var comeback = await SimulatedProxy.ConnectAsync(again, hello.Clone());
        var refused = await comeback.CompletionAsync(Timeout);

        Assert.Equal(StatusCode.PermissionDenied, evicted?.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, refused?.StatusCode);
        Assert.Contains("joined with was revoked", refused!.Status.Detail);
        Assert.Equal(0, comeback.Received);
    }

    [Fact]
    public async Task Certificate_FixesTheIdentity_AHelloForAnotherServiceIsRefused()
    {
        using var key = new ProxyKeyPair();
        var hello = SimulatedProxy.HelloFor(fixture.Token, "cert-orders-1", "cert-orders", signingRequest: key.SigningRequest);
        using var certificate = key.CertificateFrom(await JoinOnceAsync(hello));
        using var channel = ProxyKeyPair.ChannelWith(fixture.ControlPlane, certificate);

        // The wildcard token would admit "cert-payments"; the certificate says who this proxy is.
        var claim = hello.Clone();
        claim.Service = "cert-payments";
        await using var impostor = await SimulatedProxy.ConnectAsync(channel, claim);
        var refused = await impostor.CompletionAsync(Timeout);

        Assert.Equal(StatusCode.PermissionDenied, refused?.StatusCode);
        Assert.Contains("the client certificate is spiffe://cluster.local/ns/default/sa/cert-orders", refused!.Status.Detail);
    }

    /// <summary>Joins with the Hello's token, takes the first snapshot (with the workload certificate) and leaves.</summary>
    private async Task<Meshwork.Protocol.Snapshots.ProxySnapshot> JoinOnceAsync(Meshwork.Protocol.Mesh.Hello hello)
    {
        await using var joined = await SimulatedProxy.ConnectAsync(fixture.Channel, hello.Clone());
        return await joined.WaitForAsync(_ => true, Timeout);
    }
}
