using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Proxy.Security;

namespace Meshwork.ControlPlane.Tests.Transport;

public sealed class GrpcServerCertificateTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Certificate_ByDefault_NamesThisMachineAndLoopback_CarriesTheControlPlaneSpiffeId_AndChainsToTheStoredMeshRoot()
    {
        var handshake = await GrpcTlsProbe.ConnectAsync(fixture.ControlPlane.GrpcPort, "localhost");
        using var certificate = handshake.Certificate;
        var stored = Assert.Single(await StoredRoots.ActiveAsync(fixture.ConnectionString));
        using var root = X509Certificate2.CreateFromPem(stored.CertificatePem);

        Assert.Equal(SslApplicationProtocol.Http2, handshake.Protocol);
        Assert.Equal(["localhost", Dns.GetHostName()], GrpcTlsProbe.DnsNames(certificate));
        Assert.Equal(["127.0.0.1", "::1"], GrpcTlsProbe.IpAddresses(certificate));
        Assert.Equal("spiffe://cluster.local/ns/meshwork-system/sa/control-plane", SpiffeCertificates.GetSpiffeId(certificate));
        Assert.True(GrpcTlsProbe.ChainsTo(certificate, root), "the gRPC certificate does not chain to the mesh root in Postgres");
        // The file handed to proxies and the portal is exactly that root.
        Assert.Equal(stored.CertificatePem.Trim(), (await File.ReadAllTextAsync(fixture.ControlPlane.TrustBundleFile)).Trim());
    }
}

public sealed class GrpcServerCertificateRenewalTests(RenewingTlsControlPlaneFixture fixture) : IClassFixture<RenewingTlsControlPlaneFixture>
{
    [Fact]
    public async Task Certificate_NamesTheConfiguredHostsOnly_AndAClientDialingAnotherNameKnowsItByItsSpiffeId()
    {
        var handshake = await GrpcTlsProbe.ConnectAsync(fixture.ControlPlane.GrpcPort, "cp.mesh.test");
        using var certificate = handshake.Certificate;

        Assert.Equal(["cp.mesh.test"], GrpcTlsProbe.DnsNames(certificate));
        Assert.Equal(["10.1.2.3", "127.0.0.1", "::1"], GrpcTlsProbe.IpAddresses(certificate));

        // "localhost" is not among the names, yet the client streams: it recognises the control
        // plane by its pinned SPIFFE id (ControlPlaneTls), not by the name it dialled.
        using var channel = Meshwork.Protocol.Transport.ControlPlaneTls.Channel(
            $"https://localhost:{fixture.ControlPlane.GrpcPort}", fixture.ControlPlane.TrustBundleFile,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using var stream = await SimulatedProxy.ConnectAsync(channel, SimulatedProxy.HelloFor(fixture.Token, "other-name", "other-name"));
        var snapshot = await stream.WaitForAsync(_ => true, TimeSpan.FromSeconds(20));
        Assert.Equal("spiffe://cluster.local/ns/default/sa/other-name", snapshot.Identity.SpiffeId);
    }

    [Fact]
    public async Task Certificate_IsRenewedAtTwoThirdsOfItsLife_WithoutARestart()
    {
        var first = (await GrpcTlsProbe.ConnectAsync(fixture.ControlPlane.GrpcPort, "cp.mesh.test")).Certificate;
        await using var stream = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "across-renewal", "across-renewal"));
        await stream.WaitForAsync(_ => true, TimeSpan.FromSeconds(20));

        // Lifetime 6 s: a handshake after 4 s gets a new certificate from the same running process.
        X509Certificate2? renewed = null;
        await Meshwork.Testing.Waiting.Eventually.HoldsAsync(async () =>
        {
            var current = (await GrpcTlsProbe.ConnectAsync(fixture.ControlPlane.GrpcPort, "cp.mesh.test")).Certificate;
            if (current.SerialNumber == first.SerialNumber) return false;
            renewed = current;
            return true;
        }, "a renewed gRPC certificate", TimeSpan.FromSeconds(30));

        using var root = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(fixture.ControlPlane.TrustBundleFile));
        Assert.True(renewed!.NotAfter > first.NotAfter);
        Assert.True(GrpcTlsProbe.ChainsTo(renewed, root));
        Assert.NotEqual(first.GetPublicKey(), renewed.GetPublicKey());
        // The stream opened under the old certificate is still up.
        Assert.Null(stream.Failure);
    }
}
