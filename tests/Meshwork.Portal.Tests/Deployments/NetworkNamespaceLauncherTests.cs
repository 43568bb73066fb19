using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Meshwork.Portal.Deployments;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The launcher against the real kernel: namespaces, veth pairs and routes. Needs root
/// (CAP_NET_ADMIN), as CI has: without it the test fails saying so, rather than passing untested.
/// Random pool and instance ids, so parallel runs do not meet.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NetworkNamespaceCollection.Name)]
public sealed class NetworkNamespaceLauncherTests : IAsyncLifetime
{
    private readonly IPNetwork pool = IPNetwork.Parse($"10.{RandomNumberGenerator.GetInt32(215, 250)}.0.0/16");
    private readonly string run = Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
    private readonly NetworkNamespaceLauncher launcher = new();
    private readonly List<InstanceNetwork> made = [];

    public Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException($"network namespace tests need root/CAP_NET_ADMIN; this runs as '{Environment.UserName}'. CI runs as root: run the tests as root.");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheNamespaceReachesAHostListenerViaTheHostEnd_AndRemovalLeavesNoNamespaceNorVeth()
    {
        var network = Network($"web-{run}", RandomNumberGenerator.GetInt32(InstanceNetwork.BlocksPerPool));
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        await launcher.CreateAsync(network);
        var accepted = listener.AcceptTcpClientAsync();
        var dial = await RunAsync([.. NetworkNamespaceLauncher.Exec(network), "bash", "-c", $"exec 3<>/dev/tcp/{network.HostAddress}/{port}"]);
        Assert.Equal(0, dial);
        using var client = await accepted.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(network.NamespaceAddress, ((IPEndPoint)client.Client.RemoteEndPoint!).Address.MapToIPv4());

        await launcher.RemoveAsync(network);

        Assert.DoesNotContain(network.InstanceId, await launcher.ListInstancesAsync());
        Assert.NotEqual(0, await RunAsync(["ip", "link", "show", network.HostLink]));
    }

    [Fact]
    public async Task TheStartUpSweepRemovesNamespacesOfInstancesNotReAdopted_KeepsTheOthersAndThoseOfAnotherPool()
    {
        var kept = Network($"kept-{run}", 1);
        var stale = Network($"stale-{run}", 2);
        // Another portal's, in another pool: not this sweep's to remove.
        var others = InstanceNetwork.For($"other-{run}", OtherPool, 3);
        made.Add(others);
        await launcher.CreateAsync(kept);
        await launcher.CreateAsync(stale);
        await launcher.CreateAsync(others);
        var ours = new Dictionary<string, InstanceNetwork> { [kept.InstanceId] = kept, [stale.InstanceId] = stale, [others.InstanceId] = others };

        // Only this run's namespaces are offered to the sweep: others may be another test's (in another pool they would be left anyway).
        var removed = await launcher.RemoveStaleAsync(
            (await launcher.ListInstancesAsync()).Where(id => !ours.ContainsKey(id)).Append(kept.InstanceId).ToHashSet(), pool);

        Assert.Equal([stale.InstanceId], removed);
        var left = await launcher.ListInstancesAsync();
        Assert.Contains(kept.InstanceId, left);
        Assert.Contains(others.InstanceId, left);
        Assert.DoesNotContain(stale.InstanceId, left);
        Assert.NotEqual(0, await RunAsync(["ip", "link", "show", stale.HostLink]));
        Assert.Equal(0, await RunAsync(["ip", "link", "show", kept.HostLink]));
    }

    [Fact]
    public async Task AnInstanceIdAnotherPortalsPoolHolds_IsRefusedNamingIt_TheirNamespaceKept_ALeftoverOfOurPoolIsMadeAgain()
    {
        var ours = Network($"same-{run}", 4);
        var theirs = InstanceNetwork.For(ours.InstanceId, OtherPool, 5);
        await launcher.CreateAsync(theirs);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => launcher.CreateAsync(ours));

        Assert.Contains($"network namespace {ours.Namespace} exists with its host end at {theirs.HostAddress}, outside this portal's "
            + $"Portal:Fleet:Local:NetworkNamespaces:Subnet {pool}", refused.Message);
        Assert.Contains(theirs.InstanceId, await launcher.ListInstancesAsync());
        Assert.Contains($"inet {theirs.HostAddress}/30", (await HostCommand.RunAsync("ip", "-o", "-4", "addr", "show", "dev", theirs.HostLink)).Output);

        // Gone from the other pool, a namespace of ours of that id (a crash between create and record) is made again in its block.
        await launcher.RemoveAsync(theirs);
        await launcher.CreateAsync(Network(ours.InstanceId, 6));
        await launcher.CreateAsync(ours);
        Assert.Contains($"inet {ours.HostAddress}/30", (await HostCommand.RunAsync("ip", "-o", "-4", "addr", "show", "dev", ours.HostLink)).Output);
    }

    [Fact]
    public async Task AHealthProbeFromInsideTheNamespace_ReachesAListenerOnTheNamespacesOwnLoopback()
    {
        var network = Network($"probe-{run}", RandomNumberGenerator.GetInt32(InstanceNetwork.BlocksPerPool));
        await launcher.CreateAsync(network);
        using var listener = await NetworkNamespaceProbe.CreateSocketInAsync(network.Namespace);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        // The listener is the namespace's: `ss` run inside lists it.
        Assert.Contains($"127.0.0.1:{port} ", (await HostCommand.RunAsync([.. NetworkNamespaceLauncher.Exec(network), "ss", "-Hltn"])).Output);

        var probe = NetworkNamespaceProbe.HealthyAsync(network.Namespace, $"http://127.0.0.1:{port}/health", CancellationToken.None);
        using (var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(60)))
        {
            var request = new byte[4096];
            var read = await accepted.ReceiveAsync(request);
            Assert.StartsWith("GET /health HTTP/1.1", System.Text.Encoding.ASCII.GetString(request, 0, read));
            await accepted.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        }

        Assert.True(await probe);
    }

    /// <summary>Another portal's pool, on the same host.</summary>
    private IPNetwork OtherPool => IPNetwork.Parse($"10.{(pool.BaseAddress.GetAddressBytes()[1] == 250 ? 251 : 250)}.0.0/16");

    private InstanceNetwork Network(string id, int block)
    {
        var network = InstanceNetwork.For(id, pool, block);
        made.Add(network);
        return network;
    }

    private static async Task<int> RunAsync(IReadOnlyList<string> command) => (await HostCommand.RunAsync(command)).ExitCode;

    public async Task DisposeAsync()
    {
        foreach (var network in made)
            await launcher.RemoveAsync(network);
    }
}
