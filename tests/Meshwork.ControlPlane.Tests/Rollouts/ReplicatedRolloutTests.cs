using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.ControlPlane.Tests.Mesh;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>
/// The rollout controller with two control plane replicas over one database (real processes, proxies,
/// demo backends and PostgreSQL): the leader's analysis counts the requests reported to either replica, and
/// event webhooks queued when the leader dies are delivered by the next one.
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
        foreach (var replica in mesh.Replicas.Where(r => !r.IsRunning)) await replica.StartAsync();
        // Every test starts from all traffic on stable and no rollout (the controller has forgotten the last one's state).
        await using (var db = MigratedDatabase.OpenSession(mesh.ConnectionString))
        {
            var store = new ResourceService(db, TimeProvider.System);
            var key = new ResourceKey(ResourceKind.Rollout, "default", "orders");
            if (await store.GetAsync(key) is { } current)
                Assert.IsType<ChangeResult.Applied>(await store.DeleteAsync(key, current.Resource.Metadata.Version, new ChangeActor("tests", ChangeSource.Api)));
        }
        await Eventually.HoldsAsync(async () => await states.GetAsync("default", "orders", CancellationToken.None) is null, "the old rollout's state removed", Generous);
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

    [Fact]
    public async Task EventsQueuedWhenTheLeaderIsKilled_AreDeliveredInOrderByTheNextLeader()
    {
        // The receiver holds the first event without answering: the leader is stuck on it while the others wait in the outbox.
        using var receiver = new WebhookReceiver { Hang = true };
        await mesh.ApplyAsync(RolloutMesh.Rollout([null, null], minRequests: 5) with
        {
            Webhooks = [new RolloutWebhook { Name = "audit", Url = receiver.Url, Timeout = TimeSpan.FromMinutes(1), Retries = 0 }],
        });
        var promoted = await WaitForAsync(s => s.Phase == RolloutPhase.Promoted, "promoted");
        await Eventually.HoldsAsync(() => Task.FromResult(!receiver.Requests.IsEmpty), "the first event in flight", Generous);
        var old = await LeaderAsync();
        Assert.Single(receiver.Requests);

        await old.KillAsync();
        receiver.Hang = false;
        var next = await LeaderAsync();

        var expected = promoted.History.Select(d => d.Action).ToList();
        Assert.Equal(["Started", "PauseEnded", "PauseEnded", "Promoted"], expected);
        await Eventually.HoldsAsync(() => Task.FromResult(receiver.Requests.Any(r => r.Event == "Promoted")), "the Promoted event arrives", Generous);
        // At least once: the event in flight when the leader died comes again, then the rest in order.
        Assert.Equal(["Started", .. expected], receiver.Requests.Select(r => r.Event));
        Assert.Equal(promoted.History[^1].Message, receiver.Requests.Last().Json.GetProperty("message").GetString());
        using var http = new HttpClient();
        using var replica = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{next.HttpPort}/replica"));
        Assert.True(replica.RootElement.GetProperty("webhookEvents").GetProperty("delivered").GetInt64() >= 4, replica.RootElement.ToString());
        Assert.Equal(0L, await OutboxCountAsync());
    }

    private async Task<long> OutboxCountAsync()
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM webhook_outbox");
        return (long)(await command.ExecuteScalarAsync())!;
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
