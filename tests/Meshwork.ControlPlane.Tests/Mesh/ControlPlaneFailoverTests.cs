using System.Diagnostics;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// Two control plane replicas on one database and a real proxy given both addresses: when the
/// replica it streams from dies, it is on the other within a fraction of a second, not a backoff.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class ControlPlaneFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FailoverBudget = TimeSpan.FromSeconds(5);

    // A replica just started withholds the first snapshot from a proxy that already serves one for its
    // registry warmup (10 s by default). In production the survivor has run for long; here both start
    // seconds before the kill, so a short warmup keeps the measure on the proxy's failover.
    private static readonly Dictionary<string, string> Settings = new() { ["ControlPlane__RegistryWarmup"] = "00:00:01" };

    [Fact]
    public async Task ReplicaKilled_ProxyOnIt_ConnectsToTheOtherReplicaWithinFiveSeconds()
    {
        var connectionString = await MigratedDatabase.CreateAsync();
        var token = await TestTokens.IssueAsync(connectionString);
        await using var first = await ControlPlaneProcess.StartAsync(connectionString, Settings);
        await using var second = await first.StartReplicaAsync();
        await using var proxy = await MeshProxy.StartAsync([first.Address, second.Address], first.TrustBundleFile, token,
            "failover-1", "failover", "v1", appAddress: null);

        await Eventually.HoldsAsync(async () => (await proxy.ControlPlaneLinkAsync()).Connected, "the proxy reports a connected control plane");
        var (onAddress, _) = await proxy.ControlPlaneLinkAsync();
        var (victim, survivor) = onAddress == first.Address ? (first, second) : (second, first);
        await using var survivorStatus = new StatusWatcher(survivor);
        await survivorStatus.WaitUntilAsync(s => s.Feed.Connected, TimeSpan.FromSeconds(20), "the surviving replica's status stream");
        Assert.Null(survivorStatus.Proxy(proxy.Id));

        await victim.KillAsync();
        var sinceKill = Stopwatch.StartNew();

        await Eventually.HoldsAsync(async () => await proxy.ControlPlaneLinkAsync() == (survivor.Address, true),
            $"the proxy's /stats names {survivor.Address} as connected", FailoverBudget);
        var proxyReports = sinceKill.Elapsed;
        await survivorStatus.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true }, FailoverBudget - sinceKill.Elapsed,
            "the surviving replica shows the proxy connected");
        output.WriteLine($"/stats on the survivor after {proxyReports.TotalMilliseconds:0} ms, its status stream after {sinceKill.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(sinceKill.Elapsed < FailoverBudget, $"failover took {sinceKill.Elapsed}:\n{proxy.Output}");
    }
}
