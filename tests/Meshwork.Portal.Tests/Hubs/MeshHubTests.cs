using System.Text.Json;
using System.Threading.Channels;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Portal.Hubs;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;
using Meshwork.Protocol.Status;
using Microsoft.AspNetCore.SignalR.Client;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Hubs;

/// <summary>
/// /hubs/mesh through the real portal pipeline (cookie sign-in, authorization, SignalR) with the real
/// .NET SignalR client. The live state is fed as the control plane's status stream feeds it
/// (<see cref="MeshLiveData.Apply"/>); LiveTrafficTests feeds it from real proxies.
/// </summary>
public sealed class MeshHubTests : IClassFixture<MeshHubTests.Portal>
{
    public const string ControlPlane = "http://127.0.0.1:9";

    /// <summary>The portal with a control plane address nothing answers at: its live state is only what the tests apply.</summary>
    public sealed class Portal : PortalFactory
    {
        public Portal() => Settings = new Dictionary<string, string> { ["Portal:ControlPlane:Address"] = ControlPlane };
    }

    private readonly Portal portal;
    private readonly MeshLiveData live;

    public MeshHubTests(Portal portal)
    {
        this.portal = portal;
        live = portal.Services.GetRequiredService<MeshLiveData>();
    }

    private static StatusUpdate Signals(bool full, params (string From, string To, ulong Requests, ulong Failures)[] edges)
    {
        var update = new StatusUpdate { FullState = full, HasSignals = true, AtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        foreach (var (from, to, requests, failures) in edges)
        {
            update.Edges.Add(new EdgeSignals
            {
                SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
                DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
                Signals = new GoldenSignals { Requests = requests, Failures = failures, Rps = requests / 10.0, SuccessRate = requests == 0 ? 1 : 1 - failures / (double)requests, WindowSeconds = 10 },
            });
        }
        return update;
    }

    private static string Edge(string from, string to) => $"edge:default/{from}/v1->default/{to}/v1";

    [Fact]
    public async Task Topology_Viewer_GetsTheSnapshotThenDeltasOfWhatChanged()
    {
        live.Apply(ControlPlane, Signals(full: true, ("web", "orders", 100, 0), ("web", "cart", 50, 0)));
        var session = await HubSession.NewViewerAsync(portal);
        await using var topology = await session.OpenTopologyAsync<TopologyUpdate>();
        var stream = topology.Stream;

        var snapshot = await stream.ReadAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(1, snapshot.Sequence);
        Assert.Empty(snapshot.Removed);
        Assert.Empty(snapshot.Changed);
        Assert.Contains(snapshot.Added, e => e.Data.Id == Edge("web", "orders") && e.Classes.StartsWith("healthy"));
        Assert.Contains(snapshot.Added, e => e.Data.Id == Edge("web", "cart"));
        Assert.Contains(snapshot.Added, e => e.Data.Id == "svc:default/orders" && e.Group == "nodes");

        // orders starts failing, cart's caller goes away, payments appears: one delta naming just those.
        live.Apply(ControlPlane, Signals(full: false, ("web", "orders", 100, 20), ("web", "payments", 10, 0)));
        var delta = await NextWithAsync(stream, u => u.Added.Any(e => e.Data.Id == Edge("web", "payments")));
        Assert.False(delta.IsSnapshot);
        Assert.Equal("failing", Assert.Single(delta.Changed, c => c.Id == Edge("web", "orders")).Classes);
        Assert.Contains(Edge("web", "cart"), delta.Removed);
        Assert.Contains("svc:default/cart", delta.Removed);
        Assert.DoesNotContain(delta.Added, e => e.Data.Id == "ver:default/web/v1"); // unchanged: not sent again
        Assert.DoesNotContain(delta.Changed, c => c.Id == "ver:default/web/v1");
    }

    /// <summary>The next message that satisfies <paramref name="condition"/>; earlier ones (other changes) are skipped.</summary>
    internal static async Task<TopologyUpdate> NextWithAsync(ChannelReader<TopologyUpdate> stream, Func<TopologyUpdate, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var update = await stream.ReadAsync(timeout.Token);
            if (condition(update))
                return update;
        }
    }

    [Fact]
    public async Task Topology_DeltasComeAtMostOnceASecond_ManyChangesArriveCoalesced()
    {
        live.Apply(ControlPlane, Signals(full: true, ("web", "orders", 10, 0)));
        var session = await HubSession.NewViewerAsync(portal);
        await using var topology = await session.OpenTopologyAsync<TopologyUpdate>();
        var stream = topology.Stream;
        await stream.ReadAsync();

        // Fifty changes as fast as they can be applied; a second later at most a couple of deltas carry the last.
        for (ulong i = 1; i <= 50; i++)
            live.Apply(ControlPlane, Signals(full: false, ("web", "orders", 1000 + i, 0)));
        var last = await NextWithAsync(stream, u => u.Changed.Any(c => c.Id == Edge("web", "orders") && c.Label?.StartsWith("105 rps") == true));
        Assert.True(last.Sequence <= 4, $"the fifty changes came as {last.Sequence - 1} deltas");
    }

    [Fact]
    public async Task Topology_LiveRollout_MarksTheEdgeToItsCanaryWithItsProgress_UntilItEnds()
    {
        // A rollout of "payroll" at step 2 of 5 with 20 % on v2, as the controller stores it; web calls both versions.
        var status = await StoreRolloutAsync("payroll", step: 1, weight: 20, RolloutPhase.Progressing);
        var update = Signals(full: true, ("web", "payroll", 80, 0));
        var toV2 = update.Edges[0].Clone();
        toV2.DestinationVersion = "v2";
        update.Edges.Add(toV2);
        live.Apply(ControlPlane, update);
        var session = await HubSession.NewViewerAsync(portal);
        await using var topology = await session.OpenTopologyAsync<TopologyUpdate>();
        var stream = topology.Stream;

        var snapshot = await stream.ReadAsync();
        var toCanary = Assert.Single(snapshot.Added, e => e.Data.Id == "edge:default/web/v1->default/payroll/v2");
        Assert.Equal("canary 20% · step 2/5 · Progressing", toCanary.Data.Canary);
        Assert.StartsWith("canary 20% · step 2/5 · Progressing\n", toCanary.Data.Label);
        Assert.Contains("canary", toCanary.Classes.Split(' '));
        Assert.Contains("canary", Assert.Single(snapshot.Added, e => e.Data.Id == "ver:default/payroll/v2").Classes.Split(' '));
        var toStable = Assert.Single(snapshot.Added, e => e.Data.Id == Edge("web", "payroll"));
        Assert.Null(toStable.Data.Canary);
        Assert.DoesNotContain("canary", toStable.Classes.Split(' '));

        // Promoted: the rollout no longer owns the split, the mark goes with the next message.
        await portal.Services.GetRequiredService<RolloutStateStore>().SaveAsync(status with { Phase = RolloutPhase.Promoted, Step = 5, Weight = 100 }, handled: null, CancellationToken.None);
        live.Apply(ControlPlane, update);
        var ended = await NextWithAsync(stream, u => u.Changed.Any(c => c.Id == "edge:default/web/v1->default/payroll/v2"));
        var unmarked = Assert.Single(ended.Changed, c => c.Id == "edge:default/web/v1->default/payroll/v2");
        Assert.Equal(GraphChange.NoCanary, unmarked.Canary);
        Assert.DoesNotContain("canary", unmarked.Classes!.Split(' '));
        Assert.DoesNotContain("canary", unmarked.Label!);
    }

    /// <summary>A service with v1 and v2, a five-step rollout of it and the controller's state for it, stored as the product stores them.</summary>
    private async Task<RolloutStatus> StoreRolloutAsync(string service, int step, int weight, RolloutPhase phase)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("tests", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Service
        {
            Metadata = new ResourceMetadata { Name = service }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
        }, actor));
        var applied = Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Rollout
        {
            Metadata = new ResourceMetadata { Name = service }, Service = service, StableVersion = "v1", CanaryVersion = "v2",
            Steps = new[] { 10, 20, 40, 60, 80 }.Select(w => new RolloutStep { SetWeight = w }).ToList(),
        }, actor));
        var status = new RolloutStatus
        {
            Namespace = "default", Name = service, RolloutVersion = applied.Resources[0].Resource.Metadata.Version,
            Phase = phase, Step = step, StepCount = 5, Weight = weight, StepStartedAt = DateTimeOffset.UtcNow,
        };
        await portal.Services.GetRequiredService<RolloutStateStore>().SaveAsync(status, handled: null, CancellationToken.None);
        return status;
    }

    [Fact]
    public async Task Topology_OneEdgeChanges_TheDeltaCarriesOnlyThatEdgesChangedFields()
    {
        live.Apply(ControlPlane, Signals(full: true, ("web", "orders", 100, 0), ("web", "cart", 50, 0)));
        var session = await HubSession.NewViewerAsync(portal);
        // Read as the wire carries it, so a field the server left out is seen to be left out.
        await using var topology = await session.OpenTopologyAsync<JsonElement>();
        var stream = topology.Stream;
        Assert.True((await stream.ReadAsync()).GetProperty("isSnapshot").GetBoolean());

        // Twice the rate on web -> orders, still healthy: its label changes, nothing else anywhere.
        live.Apply(ControlPlane, Signals(full: false, ("web", "orders", 200, 0), ("web", "cart", 50, 0)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        JsonElement delta;
        do delta = await stream.ReadAsync(timeout.Token); // deltas with nothing in them (a store change elsewhere) are skipped
        while (delta.GetProperty("changed").GetArrayLength() == 0);

        Assert.False(delta.GetProperty("isSnapshot").GetBoolean());
        Assert.Equal(0, delta.GetProperty("added").GetArrayLength());
        Assert.Equal(0, delta.GetProperty("removed").GetArrayLength());
        var change = Assert.Single(delta.GetProperty("changed").EnumerateArray());
        Assert.Equal(["id", "label"], change.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Edge("web", "orders"), change.GetProperty("id").GetString());
        Assert.StartsWith("20 rps · 100% · ", change.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Topology_Reconnect_StartsWithAFullSnapshotOfTheLatestState()
    {
        live.Apply(ControlPlane, Signals(full: true, ("web", "orders", 100, 0), ("web", "cart", 50, 0)));
        var session = await HubSession.NewViewerAsync(portal);
        await using (var first = await session.OpenTopologyAsync<TopologyUpdate>())
        {
            await first.Stream.ReadAsync();
            await first.Connection.StopAsync();
        }

        // While the client is away: orders fails, cart goes, payments comes.
        live.Apply(ControlPlane, Signals(full: true, ("web", "orders", 100, 50), ("web", "payments", 10, 0)));
        await using var second = await session.OpenTopologyAsync<TopologyUpdate>();
        var snapshot = await second.Stream.ReadAsync();

        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(1, snapshot.Sequence);
        Assert.Empty(snapshot.Changed);
        Assert.Empty(snapshot.Removed);
        var expected = TopologyGraphModel.Build(live.Current.Edges, live.Current.ServiceVersions, new TopologyFilter(), HealthThresholds.Default);
        Assert.Equal(TopologyClient.Sorted(expected), TopologyClient.Sorted(snapshot.Added));
        Assert.Equal("failing", Assert.Single(snapshot.Added, e => e.Data.Id == Edge("web", "orders")).Classes);
        Assert.DoesNotContain(snapshot.Added, e => e.Data.Id == Edge("web", "cart"));
    }

    [Fact]
    public async Task Topology_ClientFollowingDeltasWhileStatesAreSkipped_EndsInTheSameStateAsAFreshSnapshot()
    {
        live.Apply(ControlPlane, Signals(full: true, ("web", "orders", 100, 0)));
        var session = await HubSession.NewViewerAsync(portal);
        await using var topology = await session.OpenTopologyAsync<TopologyUpdate>();
        var stream = topology.Stream;
        var client = new TopologyClient();
        client.Apply(await stream.ReadAsync());

        // Many states, faster than the once-a-second pace: most are never sent; edges come, go, change health and rate.
        var random = new Random(15);
        string[] services = ["orders", "cart", "payments", "search", "users", "stock"];
        for (var round = 0; round < 40; round++)
        {
            var edges = services.Where(_ => random.Next(3) > 0).Select(to =>
            {
                var requests = (ulong)random.Next(0, 300);
                return ("web", to, requests, Math.Min(requests, (ulong)random.Next(0, 4) * 10));
            }).ToArray();
            live.Apply(ControlPlane, Signals(full: true, edges));
            await Task.Delay(random.Next(0, 120));
        }
        var last = Signals(full: true, ("web", "orders", 7, 7), ("web", "stock", 3, 0));
        live.Apply(ControlPlane, last);

        var expected = TopologyClient.Sorted(TopologyGraphModel.Build(live.Current.Edges, live.Current.ServiceVersions, new TopologyFilter(), HealthThresholds.Default));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!client.Elements.SequenceEqual(expected))
            client.Apply(await stream.ReadAsync(timeout.Token)); // TopologyClient refuses a gap or a change to an element it lacks

        await using var fresh = await session.OpenTopologyAsync<TopologyUpdate>();
        var snapshot = await fresh.Stream.ReadAsync();
        Assert.Equal(TopologyClient.Sorted(snapshot.Added), client.Elements);
    }

    [Fact]
    public async Task Topology_Anonymous_IsRefused()
    {
        await using var connection = HubSession.Connection(portal, cookieHeader: null);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Topology_AdminChangesTheThresholdsInSettings_TheEdgeIsRecoloured()
    {
        live.Apply(ControlPlane, Signals(full: true, ("web", "search", 100, 5)));
        var session = await HubSession.NewViewerAsync(portal);
        await using var topology = await session.OpenTopologyAsync<TopologyUpdate>();
        var stream = topology.Stream;
        Assert.Equal("degraded", Assert.Single((await stream.ReadAsync()).Added, e => e.Data.Id == Edge("web", "search")).Classes);

        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<Meshwork.Store.ResourceService>();
            var settings = new Meshwork.Model.Resources.MeshSettings { Metadata = new() { Name = "mesh" }, DegradedAbovePercent = 10, FailingAbovePercent = 50 };
            Assert.IsType<Meshwork.Store.ChangeResult.Applied>(await store.ApplyAsync(settings, new Meshwork.Store.ChangeActor("admin@meshwork.test", Meshwork.Store.ChangeSource.Api)));
        }
        try
        {
            // The next status update (or the store's notification itself) brings the edge under the new thresholds: 5 % is healthy now.
            live.Apply(ControlPlane, Signals(full: false, ("web", "search", 100, 5)));
            var recoloured = await NextWithAsync(stream, u => u.Changed.Any(c => c.Id == Edge("web", "search")));
            Assert.Equal("healthy", Assert.Single(recoloured.Changed, c => c.Id == Edge("web", "search")).Classes);
        }
        finally
        {
            await using var scope = portal.Services.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<Meshwork.Store.ResourceService>();
            var stored = await store.GetAsync(new(Meshwork.Model.Resources.ResourceKind.MeshSettings, "default", "mesh"));
            await store.DeleteAsync(stored!.Resource.Key, stored.Resource.Metadata.Version, new Meshwork.Store.ChangeActor("admin@meshwork.test", Meshwork.Store.ChangeSource.Api));
        }
    }
}
