using System.Diagnostics;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// Two control plane replicas over one database, real proxies and traffic: the data plane fails no
/// request whichever replica dies, whether the leader dies, or PostgreSQL restarts.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class ReplicatedControlPlaneTests(ReplicatedMeshFixture mesh, ITestOutputHelper output) : IClassFixture<ReplicatedMeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FailoverLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Replicas_StartedTogether_ShareOneRootAndOneLeaderAndSpreadTheProxies()
    {
        await EnsureWholeAsync();
        var infos = await Task.WhenAll(mesh.Replicas.Select(r => r.ReplicaInfoAsync()));
        Assert.Single(infos, i => i.Leader);
        Assert.All(infos, i => Assert.True(i.Proxies > 0, $"{i.ReplicaId} holds no proxy"));
        Assert.Equal(mesh.Proxies.Count, infos.Sum(i => i.Proxies));
        Assert.Equal(await File.ReadAllTextAsync(mesh.Replicas[0].TrustBundleFile), await File.ReadAllTextAsync(mesh.Replicas[1].TrustBundleFile));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Replica_KilledUnderLoad_NoRequestFailsItsProxiesMoveToTheOtherAndAChangeReachesThem(int victimIndex)
    {
        await EnsureWholeAsync();
        var victim = mesh.Replicas[victimIndex];
        var survivor = mesh.Replicas[1 - victimIndex];
        List<MeshProxy> stranded;
        await using (var before = new StatusWatcher(victim))
        {
            stranded = await Eventually.ValueAsync(() =>
            {
                var held = mesh.Proxies.Where(p => before.Proxy(p.Id) is { Connected: true }).ToList();
                return held.Count > 0 ? held : null;
            }, $"replica {victimIndex} holds a proxy", Generous);
        }

        await using (var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/"))
        {
            await Task.Delay(1000);
            await victim.KillAsync();
            var stopwatch = Stopwatch.StartNew();
            await using var status = new StatusWatcher(survivor);
            foreach (var proxy in stranded)
                await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true } p && p.AckedVersion == p.SentVersion && p.SentVersion > 0,
                    Generous, $"{proxy.Id} on the surviving replica and in sync");
            var failover = stopwatch.Elapsed;
            // The proxy's own view follows: the survivor counts it in sync as soon as it admits the Hello (it
            // pushes nothing when the proxy already serves the same snapshot), while the proxy marks its link up
            // only when the response headers arrive, which on a loaded machine can be a moment later.
            foreach (var proxy in stranded)
                await Eventually.HoldsAsync(async () => await proxy.ControlPlaneLinkAsync() == (survivor.Address, true),
                    $"{proxy.Id} reports its link to the surviving replica", Generous);
            output.WriteLine($"{string.Join(", ", stranded.Select(p => p.Id))} on the other replica and in sync {failover.TotalMilliseconds:0} ms after the kill");
            await Task.Delay(1000);
            await load.DisposeAsync();
            output.WriteLine($"{load.Requests} requests, {load.Failures} failed");
            Assert.True(load.Failures == 0, string.Join("\n", load.FailureSamples) + "\n" + mesh.Diagnostics());
            Assert.True(load.Requests > 50, $"only {load.Requests} requests");
            Assert.True(failover <= FailoverLimit, $"failover took {failover.TotalMilliseconds:0} ms");

            // Every proxy, on the survivor now, gets a change made after the failover.
            await mesh.ApplyAsync(MeshFixture.OrdersRoute("v2"));
            using var client = mesh.Web.OutboundClient();
            await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous);
            foreach (var proxy in mesh.Proxies)
                await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true } p && p.AckedVersion == p.SentVersion, Generous, $"{proxy.Id} in sync after the change");
            await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        }
    }

    [Fact]
    public async Task Leader_Killed_AnotherReplicaTakesTheLeaseAndRemovesALostInstance()
    {
        await EnsureWholeAsync();
        var leaderIndex = (await mesh.Replicas[0].ReplicaInfoAsync()).Leader ? 0 : 1;
        var leader = mesh.Replicas[leaderIndex];
        var follower = mesh.Replicas[1 - leaderIndex];
        Assert.False((await follower.ReplicaInfoAsync()).Leader);

        // An instance whose proxy dies without a Goodbye: only the leader removes it, once its lease runs out.
        await using var backend = await DemoBackendProcess.StartAsync("orders", "v1", "orders-v1-lost");
        await using var lost = await MeshProxy.StartAsync(mesh.Addresses, mesh.Replicas[0].TrustBundleFile, mesh.Token, "orders-v1-lost", "orders", "v1", backend.Address);
        await using var status = new StatusWatcher(follower);
        await status.WaitUntilAsync(s => s.Feed.Connected, Generous, "follower's status stream is up");
        // Its lease must be in the shared registry before the leader dies: a leader killed before it wrote the
        // row leaves nothing to run out (on a loaded machine that happened, and no InstanceRemoved ever came).
        await Eventually.HoldsAsync(() => LeaseStoredAsync("orders-v1-lost"), "the lost instance's lease is stored", Generous);

        await leader.KillAsync();
        await lost.StopAsync();
        var stopwatch = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => (await follower.ReplicaInfoAsync()).Leader, "the follower takes the leader lease", Generous);
        output.WriteLine($"the follower took the lease {stopwatch.ElapsedMilliseconds} ms after the leader was killed");
        await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "LeaderElected"), Generous, "LeaderElected event");
        try
        {
            await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "InstanceRemoved" && e.ProxyId == "orders-v1-lost"), Generous,
                "the new leader removes the lost instance");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; lease still stored: {await LeaseStoredAsync("orders-v1-lost")}; events: "
                + string.Join(", ", status.Events.Select(ev => $"{ev.Kind} {ev.ProxyId}")) + $"\n--- new leader ---\n{follower.Output}", e);
        }
        output.WriteLine($"the new leader removed the lost instance {stopwatch.ElapsedMilliseconds} ms after the kill");
    }

    private async Task<bool> LeaseStoredAsync(string proxyId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(mesh.ConnectionString);
        await connection.OpenAsync();
        await using var query = new Npgsql.NpgsqlCommand("SELECT count(*) FROM registry_instances WHERE proxy_id = @id", connection);
        query.Parameters.AddWithValue("id", proxyId);
        return (long)(await query.ExecuteScalarAsync())! > 0;
    }

    [Fact]
    public async Task Postgres_RestartedUnderLoad_NoRequestFailsAndControlPlanesRecoverOnTheirOwn()
    {
        await EnsureWholeAsync();
        await using (var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/"))
        {
            await Task.Delay(1000);
            await mesh.Cluster.RestartAsync(downFor: TimeSpan.FromSeconds(5));
            // Long enough for leases that ran out while the database was down to be judged again.
            await Task.Delay(TimeSpan.FromSeconds(10));
            await load.DisposeAsync();
            output.WriteLine($"{load.Requests} requests, {load.Failures} failed");
            Assert.True(load.Failures == 0, string.Join("\n", load.FailureSamples) + "\n" + mesh.Diagnostics());
            Assert.True(load.Requests > 50, $"only {load.Requests} requests");
        }

        // Recovered without a restart: a change committed now reaches traffic, and a leader is back.
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v2"));
        using var client = mesh.Web.OutboundClient();
        await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous);
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        await Eventually.HoldsAsync(async () => (await Task.WhenAll(mesh.Replicas.Select(r => r.ReplicaInfoAsync()))).Count(i => i.Leader) == 1,
            "one leader after the restart", Generous);
    }

    /// <summary>Both replicas running, every proxy connected and in sync, and requests succeeding (earlier tests kill things).</summary>
    private async Task EnsureWholeAsync()
    {
        foreach (var replica in mesh.Replicas.Where(r => !r.IsRunning)) await replica.StartAsync();
        // The kill tests need proxies on both replicas: once every proxy went to one (a failover), restarts spread them again.
        if ((await Task.WhenAll(mesh.Replicas.Select(r => r.ReplicaInfoAsync()))).Any(i => i.Proxies == 0))
        {
            output.WriteLine("a replica held no proxy: restarting the proxies to spread them");
            await mesh.RestartProxiesAsync();
        }
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        var watchers = mesh.Replicas.Select(r => new StatusWatcher(r)).ToList();
        try
        {
            foreach (var proxy in mesh.Proxies)
                await Eventually.HoldsAsync(() => Task.FromResult(watchers.Any(w => w.Proxy(proxy.Id) is { Connected: true } p && p.AckedVersion == p.SentVersion && p.SentVersion > 0)),
                    $"{proxy.Id} connected to a replica and in sync", Generous);
        }
        finally
        {
            foreach (var watcher in watchers) await watcher.DisposeAsync();
        }
        using var probe = mesh.Web.OutboundClient();
        await MeshFixture.WaitForServedByAsync(probe, "orders-v1-a", Generous, streak: 20);
    }
}
