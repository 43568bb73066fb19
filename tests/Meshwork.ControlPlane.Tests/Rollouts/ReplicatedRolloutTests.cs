using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.ControlPlane.Tests.Mesh;
using Meshwork.Model.Rollouts;
using Meshwork.Store.Rollouts;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>
/// The rollout controller with two control plane replicas over one database (real processes, proxies,
/// demo backends and PostgreSQL): the leader's analysis counts the requests reported to either replica.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class ReplicatedRolloutTests(ReplicatedMeshFixture mesh) : IClassFixture<ReplicatedMeshFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Generous = RolloutMesh.Generous;
    private NpgsqlDataSource database = null!;
    private RolloutStateStore states = null!;

    public async Task InitializeAsync()
    {
        database = NpgsqlDataSource.Create(mesh.ConnectionString);
        states = new RolloutStateStore(database);
        await mesh.ApplyAsync(RolloutMesh.OrdersSplit(0));
    }

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Analysis_CountsTheCanaryRequestsReportedToTheReplicaThatDoesNotLead()
    {
        var canary = mesh.Proxies.Single(p => p.Id == "orders-v2-1");
        var leader = await CanaryOnAFollowerAsync(canary);

        await using var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/");
        await mesh.ApplyAsync(RolloutMesh.Rollout([50, 100], minRequests: 5));

        var promoted = await WaitForAsync(s => s.Phase is RolloutPhase.Promoted or RolloutPhase.RolledBack, "promoted or rolled back");
        Assert.Equal(RolloutPhase.Promoted, promoted.Phase);
        // The canary's sidecar reports only to the follower: every canary request the leader judged came through the database.
        Assert.False(await HoldsAsync(leader, canary), "the canary's sidecar moved to the leader during the test");
        var passed = Assert.Single(promoted.History, d => d.Action == "AnalysisPassed" && d.Weight == 50).Analysis!;
        Assert.True(passed.CanaryRequests >= 5, $"{passed.CanaryRequests} canary requests counted");
        Assert.True(passed.StableRequests > 0, "stable's requests counted too");
    }

    /// <summary>Makes sure the canary's sidecar is held by the replica that does not lead (moving the lease if needed); returns the leader.</summary>
    private async Task<ControlPlaneProcess> CanaryOnAFollowerAsync(MeshProxy canary)
    {
        foreach (var replica in mesh.Replicas.Where(r => !r.IsRunning)) await replica.StartAsync();
        var leader = await LeaderAsync();
        if (await HoldsAsync(leader, canary))
        {
            // Move the lease: kill the leader, let the other take it, bring the old one back and the canary's sidecar
            // to it (a proxy starts on the replica its id hashes to: the one it was on).
            await leader.KillAsync();
            var follower = leader;
            leader = await LeaderAsync();
            await follower.StartAsync();
            await canary.TerminateAsync();
            await canary.StopAsync();
            await canary.StartAsync(mesh.Addresses, mesh.Replicas[0].TrustBundleFile, mesh.Token);
        }
        var other = mesh.Replicas.Single(r => r != leader);
        await Eventually.HoldsAsync(() => HoldsAsync(other, canary), $"{canary.Id} held by the replica that does not lead", Generous);
        return leader;
    }

    private async Task<ControlPlaneProcess> LeaderAsync()
    {
        ControlPlaneProcess? found = null;
        await Eventually.HoldsAsync(async () =>
        {
            var running = mesh.Replicas.Where(r => r.IsRunning).ToList();
            var infos = await Task.WhenAll(running.Select(r => r.ReplicaInfoAsync()));
            found = infos.Count(i => i.Leader) == 1 ? running[Array.FindIndex(infos, i => i.Leader)] : null;
            return found is not null;
        }, "one leader", Generous);
        return found!;
    }

    private static async Task<bool> HoldsAsync(ControlPlaneProcess replica, MeshProxy proxy)
    {
        await using var status = new StatusWatcher(replica);
        try
        {
            await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true }, TimeSpan.FromSeconds(10), $"{proxy.Id} on the replica");
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task<RolloutStatus> WaitForAsync(Func<RolloutStatus, bool> condition, string what)
    {
        RolloutStatus? last = null;
        var deadline = DateTime.UtcNow + Generous;
        while (DateTime.UtcNow < deadline)
        {
            last = await states.GetAsync("default", "orders", CancellationToken.None);
            if (last is not null && condition(last)) return last;
            await Task.Delay(200);
        }
        var history = last is null ? "no state" : string.Join("\n", last.History.Select(d => $"{d.At:HH:mm:ss.fff} {d.Action} {d.Message}"));
        throw new TimeoutException($"rollout never {what}; last phase {last?.Phase} step {last?.Step}\n{history}\n{mesh.Diagnostics()}");
    }
}
