using System.Globalization;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Transport;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.ControlPlane;

/// <summary>
/// A real proxy process dials a TLS server that holds a valid mesh certificate: it talks to it only
/// when the certificate carries the control plane's pinned SPIFFE id. The host name dialled
/// (127.0.0.1, a SAN of both certificates) is not what decides.
/// </summary>
public sealed class ControlPlaneIdentityTests : IDisposable
{
    private static readonly TimeSpan ProcessStartPatience = TimeSpan.FromSeconds(90);
    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create();
    private readonly string directory = Directory.CreateTempSubdirectory("meshwork-cp-identity-").FullName;

    [Fact]
    public async Task Proxy_ServerWithAnotherMeshIdentity_IsRefusedBeforeAnyRequest()
    {
        var impostorId = SnapshotCompiler.SpiffeId(ControlPlaneIdentity.DefaultTrustDomain, "default", "web");
        await using var server = TlsServerProbe.Start(ca.Issue(impostorId).Certificate);
        await using var proxy = StartProxy(server.Address);

        await Eventually.HoldsAsync(() => Task.FromResult(proxy.Output.Contains("TLS to the control plane at", StringComparison.Ordinal)),
            "the proxy logs the refused handshake", ProcessStartPatience);
        Assert.Contains($"presents {impostorId}, not the control plane's {ControlPlaneIdentity.SpiffeIdFor(ControlPlaneIdentity.DefaultTrustDomain)}", proxy.Output);
        // The server may count its side of the handshake as done, but the proxy never sent a byte over it.
        Assert.Equal(0, server.ApplicationBytes);
    }

    [Fact]
    public async Task Proxy_ServerWithTheControlPlaneIdentity_IsTalkedTo()
    {
        await using var server = TlsServerProbe.Start(ca.Issue(ControlPlaneIdentity.SpiffeIdFor(ControlPlaneIdentity.DefaultTrustDomain)).Certificate);
        await using var proxy = StartProxy(server.Address);

        // The proxy's HTTP/2 preface and Hello arrive: the handshake was accepted.
        // The patience covers a cold process start on a loaded machine (20 s was not enough at load average 30).
        await Eventually.HoldsAsync(() => Task.FromResult(server.ApplicationBytes > 0), "the proxy sends its stream to the control plane", ProcessStartPatience);
        Assert.DoesNotContain("TLS to the control plane at", proxy.Output);
    }

    private ChildProcess StartProxy(string address)
    {
        var bundle = Path.Combine(directory, "trust-bundle.pem");
        File.WriteAllText(bundle, ca.RootPem);
        return ChildProcess.Start("Meshwork.Proxy",
        [
            "--Proxy:BindAddress", "127.0.0.1",
            "--Proxy:AdminPort", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--Proxy:InboundPort", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--Proxy:StateDirectory", Path.Combine(directory, "state"),
            "--ControlPlaneClient:Address", address,
            "--ControlPlaneClient:TrustBundleFile", bundle,
            "--ControlPlaneClient:BootstrapToken", "not-used-before-the-handshake",
            "--ControlPlaneClient:Service", "orders",
        ], name: "proxy-cp-identity");
    }

    public void Dispose()
    {
        ca.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
