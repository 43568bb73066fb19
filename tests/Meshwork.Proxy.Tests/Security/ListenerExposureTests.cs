using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// A proxy started with the default bind addresses, reached on one of this machine's own
/// non-loopback addresses: only the inbound listener answers there; outbound (whoever reaches it
/// sends with the proxy's identity) and admin (/stats) answer on loopback only.
/// </summary>
public sealed class ListenerExposureTests : IDisposable
{
    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create();
    private readonly string directory = Directory.CreateTempSubdirectory("meshwork-listeners-").FullName;

    [FactWithANonLoopbackAddress]
    public async Task DefaultBindAddresses_OutboundAndAdminLoopbackOnly_InboundOnTheNetwork()
    {
        var machine = MachineAddresses.NonLoopbackIPv4()!;
        int admin = FreePort.Next(), outbound = FreePort.Next(), inbound = FreePort.Next();
        var issued = ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", "orders"));
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = [new Service { Metadata = new ResourceMetadata { Name = "orders" } }],
            Proxy = new ProxyIdentity { ProxyId = "exposure-1", Service = "orders", OutboundPort = outbound, InboundPort = inbound },
            Certificates = new SnapshotCertificates { CertificateChainPem = issued.CertificatePem, PrivateKeyPem = issued.PrivateKeyPem, TrustBundlePem = ca.RootPem },
            Version = 1,
        });
        var file = Path.Combine(directory, "snapshot.json");
        await ProxyProcess.WriteSnapshotAsync(file, snapshot);
        // No Proxy:BindAddress / LocalBindAddress: the defaults are what is tested.
        await using var proxy = ChildProcess.Start("Meshwork.Proxy",
        [
            "--Proxy:AdminPort", admin.ToString(CultureInfo.InvariantCulture),
            "--Proxy:StateDirectory", Path.Combine(directory, "state"),
            "--Proxy:SnapshotFile", file,
        ], name: "proxy-exposure");
        await proxy.WaitForHttpOkAsync($"http://127.0.0.1:{admin}/ready");

        Assert.True(await ConnectsAsync(machine, inbound), $"inbound {machine}:{inbound} does not accept connections");
        Assert.True(await ConnectsAsync(IPAddress.Loopback, outbound), "outbound on loopback does not accept connections");
        Assert.False(await ConnectsAsync(machine, outbound), $"outbound answers on {machine}");
        Assert.False(await ConnectsAsync(machine, admin), $"admin answers on {machine}");
    }

    /// <summary>True when a TCP connection to the address and port is accepted, false when it is refused.</summary>
    private static async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }

    public void Dispose()
    {
        ca.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>This machine's addresses other than loopback, as other hosts would reach it.</summary>
internal static class MachineAddresses
{
    public static IPAddress? NonLoopbackIPv4() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}

/// <summary>A fact that is skipped, with the reason, on a machine whose only network is loopback (nothing to reach it from).</summary>
public sealed class FactWithANonLoopbackAddressAttribute : FactAttribute
{
    public FactWithANonLoopbackAddressAttribute()
    {
        if (MachineAddresses.NonLoopbackIPv4() is null)
            Skip = "this machine has no non-loopback IPv4 address (only loopback is up), so there is no other address to check the listeners from";
    }
}
