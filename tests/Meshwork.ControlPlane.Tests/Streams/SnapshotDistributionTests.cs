using System.Diagnostics;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Snapshots;
using Meshwork.Store;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>Protocol-level proxies against the real control plane and Postgres: pushes, ACK/NACK bookkeeping, registry.</summary>
public sealed class SnapshotDistributionTests(ControlPlaneFixture fixture, ITestOutputHelper output) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Service ServiceNamed(string name) => new()
    {
        Metadata = new ResourceMetadata { Name = name },
        Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
    };

    private static HttpRoute RouteTo(string service, string version) => new()
    {
        Metadata = new ResourceMetadata { Name = $"{service}-route" },
        ParentRefs = [new ParentRef { Name = service }],
        Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = service, Version = version }] }],
    };

    private static bool RoutesTo(ProxySnapshot snapshot, string service, string cluster) =>
        snapshot.VirtualHosts.Any(v => v.Name == $"{service}.default" && v.Rules.Any(r => r.Backends.Any(b => b.Cluster == cluster)));

    [Fact]
    public async Task RouteChange_AppliedThroughResourceService_ReachesEveryProxyWhichAcks()
    {
        await fixture.ApplyAsync(ServiceNamed("catalog"));
        await fixture.ApplyAsync(RouteTo("catalog", "v1"));
        await using var status = new StatusWatcher(fixture.ControlPlane);
        var proxies = new List<SimulatedProxy>();
        for (var i = 0; i < 5; i++)
            proxies.Add(await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, $"web-route-{i}", "web")));
        try
        {
            foreach (var proxy in proxies)
                await proxy.WaitForAsync(s => RoutesTo(s, "catalog", "catalog.default|v1"), Timeout);

            var stopwatch = Stopwatch.StartNew();
            await fixture.ApplyAsync(RouteTo("catalog", "v2"));
            var versions = new List<long>();
            foreach (var proxy in proxies)
                versions.Add((await proxy.WaitForAsync(s => RoutesTo(s, "catalog", "catalog.default|v2"), Timeout)).Version);
            output.WriteLine($"route change reached 5 proxies in {stopwatch.ElapsedMilliseconds} ms");

            for (var i = 0; i < proxies.Count; i++)
            {
                var id = $"web-route-{i}";
                var version = versions[i];
                await status.WaitUntilAsync(s => s.Proxy(id)?.AckedVersion >= version, Timeout, $"{id} ACKed {version}");
                Assert.Equal(version, status.Proxy(id)!.SentVersion);
                Assert.True(status.Proxy(id)!.Connected);
            }
        }
        finally
        {
            foreach (var proxy in proxies) await proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task Nack_FromOneProxy_IsVisibleInFleetStatusWhileOthersAck()
    {
        await fixture.ApplyAsync(ServiceNamed("ledger"));
        await using var status = new StatusWatcher(fixture.ControlPlane);
        await using var healthy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "web-nack-ok", "web"));
        await using var picky = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "web-nack-bad", "web"),
            snapshot => RoutesTo(snapshot, "ledger", "ledger.default|v2") ? "cluster ledger.default|v2: refused by test" : null);
        await picky.WaitForAsync(s => s.VirtualHosts.Any(v => v.Name == "ledger.default"), Timeout);
        await status.WaitUntilAsync(s => s.Proxy("web-nack-bad")?.AckedVersion > 0, Timeout, "first snapshot ACKed");
        var acked = status.Proxy("web-nack-bad")!.AckedVersion;

        await fixture.ApplyAsync(RouteTo("ledger", "v2"));
        var rejected = await picky.WaitForAsync(s => RoutesTo(s, "ledger", "ledger.default|v2"), Timeout);
        var accepted = await healthy.WaitForAsync(s => RoutesTo(s, "ledger", "ledger.default|v2"), Timeout);

        await status.WaitUntilAsync(s => s.Proxy("web-nack-bad")?.LastNack?.Version == rejected.Version, Timeout, "NACK in fleet status");
        var bad = status.Proxy("web-nack-bad")!;
        Assert.Equal("cluster ledger.default|v2: refused by test", bad.LastNack.Error);
        Assert.Equal(acked, bad.AckedVersion);
        Assert.Contains(status.Events, e => e.Kind == "Nack" && e.ProxyId == "web-nack-bad" && e.Message.Contains("refused by test"));
        await status.WaitUntilAsync(s => s.Proxy("web-nack-ok")?.AckedVersion == accepted.Version, Timeout, "healthy proxy ACKed");
    }

    [Fact]
    public async Task InstanceJoiningAndLeaving_ReachesCallersAndLeavesAfterGracePeriod()
    {
        await fixture.ApplyAsync(ServiceNamed("inventory"));
        await using var caller = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "web-join", "web"));
        await caller.WaitForAsync(s => s.Clusters.Any(c => c.Name == "inventory.default|v1"), Timeout);

        var stopwatch = Stopwatch.StartNew();
        var hello = SimulatedProxy.HelloFor(fixture.Token, "inventory-1", "inventory");
        var joined = await SimulatedProxy.ConnectAsync(fixture.Channel, hello);
        await caller.WaitForAsync(s => s.Clusters.Single(c => c.Name == "inventory.default|v1").Endpoints
            .Any(e => e.InstanceId == "inventory-1" && e.Address == hello.InstanceAddress), Timeout);
        output.WriteLine($"new instance reached the caller's snapshot in {stopwatch.ElapsedMilliseconds} ms");

        stopwatch.Restart();
        await joined.DisposeAsync();
        await caller.WaitForAsync(s => s.Clusters.Single(c => c.Name == "inventory.default|v1").Endpoints.Count == 0, Timeout);
        output.WriteLine($"departed instance left the caller's snapshot after {stopwatch.ElapsedMilliseconds} ms (grace 2 s)");
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1.5), "an instance must stay through its grace period");
    }

    [Fact]
    public async Task AccessPolicyChange_ReachesTheSelectedServiceOnly_AndStatusTellsAffectedFromUnaffected()
    {
        await fixture.ApplyAsync(ServiceNamed("vault"));
        await using var status = new StatusWatcher(fixture.ControlPlane);
        await using var vault = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "vault-1", "vault"));
        await using var caller = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "web-policy", "web"));
        await vault.WaitForAsync(s => s.VirtualHosts.Any(v => v.Name == "vault.default"), Timeout);
        // vault-1 becomes an endpoint when it ACKs its first snapshot: the caller is pushed that too.
        await caller.WaitForAsync(s => s.Clusters.Any(c => c.Name == "vault.default|v1" && c.Endpoints.Any(e => e.InstanceId == "vault-1")), Timeout);
        var callerBefore = caller.Received;

        var applied = (ChangeResult.Applied)await fixture.ApplyAsync(new Model.Resources.AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = "vault-deny-delete" },
            Service = "vault",
            Action = AccessAction.Deny,
            Rules = [new Model.Resources.AccessRule { To = [new Model.Resources.AccessOperation { Methods = ["DELETE"] }] }],
        });

        var updated = await vault.WaitForAsync(s => s.Inbound.Policies.Any(p => p.Name == "vault-deny-delete"), Timeout);
        Assert.Equal("Deny", updated.Inbound.Policies.Single(p => p.Name == "vault-deny-delete").Action);
        await Task.Delay(500);
        Assert.Equal(callerBefore, caller.Received);

        // How the portal follows a change: both proxies were compiled against its revision, only vault-1's
        // snapshot changed with it, and vault-1's ACK of that push is what confirms it.
        Assert.True(applied.Revision > 0);
        await status.WaitUntilAsync(s => s.Proxy("vault-1")?.ChangedRevision >= applied.Revision
            && s.Proxy("vault-1")!.AckedVersion >= updated.Version, Timeout, "vault-1 changed by and ACKed the revision");
        await status.WaitUntilAsync(s => s.Proxy("web-policy")?.DesiredRevision >= applied.Revision, Timeout, "caller compiled against the revision");
        Assert.True(status.Proxy("vault-1")!.DesiredRevision >= applied.Revision);
        Assert.True(status.Proxy("web-policy")!.ChangedRevision < applied.Revision, "the caller's snapshot did not change");
    }
}
