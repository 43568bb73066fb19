using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Snapshots;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.ControlPlane.Tests.Transport;

/// <summary>A real proxy process against the control plane's TLS port, with the right and a wrong trust bundle.</summary>
public sealed class ProxyControlPlaneTlsTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Proxy_WithTheMeshBundle_GetsItsSnapshotOverTls_AndWithAnotherCasBundle_IsRefusedAndKeepsServingIt()
    {
        await using var proxy = await MeshProxy.StartAsync(fixture.ControlPlane, fixture.Token, "tls-proxy-1", "tls-checked", "v1", appAddress: null);
        var served = await proxy.SnapshotInfoAsync();
        Assert.StartsWith("control-plane:https://127.0.0.1:", served.GetProperty("source").GetString());
        Assert.True(served.GetProperty("version").GetInt64() > 0);

        // Restarted trusting another CA's root: the control plane's certificate does not chain to it.
        using var otherCa = TestCertificateAuthority.Create("Some other CA");
        var otherBundle = Path.Combine(proxy.StateDirectory, "other-ca.pem");
        await File.WriteAllTextAsync(otherBundle, otherCa.RootPem);
        // The proxy serves a snapshot before it stores it (a disk write never delays applying one).
        var storedFile = Path.Combine(proxy.StateDirectory, "last-good-snapshot.json");
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(storedFile)), "the proxy stored its last good snapshot");
        await proxy.StopAsync();
        // What it stored last, read once it is dead: the control plane may have pushed a newer
        // snapshot after `served` was read (e.g. when the proxy's own instance joined), and that one
        // is the last good snapshot it must come back with.
        var stored = SnapshotMapper.FromJson(await File.ReadAllTextAsync(Path.Combine(proxy.StateDirectory, "last-good-snapshot.json")));
        await proxy.StartAsync(fixture.ControlPlane, fixture.Token, trustBundleFile: otherBundle);

        await Eventually.HoldsAsync(() => Task.FromResult(proxy.Output.Contains("TLS to the control plane at", StringComparison.Ordinal)),
            "the proxy logs the refused handshake");
        Assert.True(proxy.Output.Contains($"does not chain to the mesh root in the trust bundle {otherBundle} (PartialChain)", StringComparison.Ordinal),
            proxy.Output);
        Assert.DoesNotContain("Connected to the control plane", proxy.Output);
        // It serves what it had (its last good snapshot), as when the control plane is away.
        var after = await proxy.SnapshotInfoAsync();
        Assert.Equal(stored.Version, after.GetProperty("version").GetInt64());
        Assert.Equal(stored.Hash, after.GetProperty("hash").GetString());
    }

    [Fact]
    public async Task Proxy_WithAnHttpsAddressAndNoTrustBundle_RefusesToStart()
    {
        var state = Directory.CreateTempSubdirectory("meshwork-cp-test-proxy-").FullName;
        try
        {
            await using var proxy = ChildProcess.Start("Meshwork.Proxy",
            [
                "--Proxy:BindAddress", "127.0.0.1",
                "--Proxy:AdminPort", FreePort.Next().ToString(),
                "--Proxy:InboundPort", FreePort.Next().ToString(),
                "--Proxy:StateDirectory", state,
                "--ControlPlaneClient:Address", fixture.ControlPlane.Address,
                "--ControlPlaneClient:BootstrapToken", fixture.Token,
                "--ControlPlaneClient:Service", "no-bundle",
            ], name: "no-bundle");

            Assert.NotEqual(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("ControlPlaneClient:TrustBundleFile is not set", proxy.Output);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}

public sealed class PlaintextGrpcTests(PlaintextControlPlaneFixture fixture) : IClassFixture<PlaintextControlPlaneFixture>
{
    [Fact]
    public async Task PlaintextOptIn_ServesH2c_AndWarnsAtStart()
    {
        Assert.StartsWith("http://", fixture.ControlPlane.Address);
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "h2c-1", "h2c"));

        var snapshot = await proxy.WaitForAsync(_ => true, TimeSpan.FromSeconds(20));

        Assert.Equal("spiffe://cluster.local/ns/default/sa/h2c", snapshot.Identity.SpiffeId);
        Assert.Contains("ControlPlane:GrpcPlaintext is on", fixture.ControlPlane.Output);
    }
}
