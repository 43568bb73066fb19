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
        await using var connection = session.Connection();
        await connection.StartAsync();
        var stream = await connection.StreamAsChannelAsync<TopologyUpdate>("Topology", new TopologyFilter());

        var snapshot = await stream.ReadAsync();
        Assert.True(snapshot.IsSnapshot);
        Assert.Equal(1, snapshot.Sequence);
        Assert.Empty(snapshot.Removed);
        Assert.Contains(snapshot.Upserted, e => e.Data.Id == Edge("web", "orders") && e.Classes.StartsWith("healthy"));
        Assert.Contains(snapshot.Upserted, e => e.Data.Id == Edge("web", "cart"));
        Assert.Contains(snapshot.Upserted, e => e.Data.Id == "svc:default/orders" && e.Group == "nodes");

        // orders starts failing, cart's caller goes away, payments appears: one delta naming just those.
        live.Apply(ControlPlane, Signals(full: false, ("web", "orders", 100, 20), ("web", "payments", 10, 0)));
        var delta = await NextWithAsync(stream, u => u.Upserted.Any(e => e.Data.Id == Edge("web", "payments")));
        Assert.False(delta.IsSnapshot);
        Assert.Equal("failing", Assert.Single(delta.Upserted, e => e.Data.Id == Edge("web", "orders")).Classes);
        Assert.Contains(Edge("web", "cart"), delta.Removed);
        Assert.Contains("svc:default/cart", delta.Removed);
        Assert.DoesNotContain(delta.Upserted, e => e.Data.Id == "ver:default/web/v1"); // unchanged: not sent again
    }

    /// <summary>The next message that satisfies <paramref name="condition"/>; earlier ones (other changes) are skipped.</summary>
    private static async Task<TopologyUpdate> NextWithAsync(ChannelReader<TopologyUpdate> stream, Func<TopologyUpdate, bool> condition)
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
        await using var connection = session.Connection();
        await connection.StartAsync();
        var stream = await connection.StreamAsChannelAsync<TopologyUpdate>("Topology", new TopologyFilter());
        await stream.ReadAsync();

        // Fifty changes as fast as they can be applied; a second later at most a couple of deltas carry the last.
        for (ulong i = 1; i <= 50; i++)
            live.Apply(ControlPlane, Signals(full: false, ("web", "orders", 1000 + i, 0)));
        var last = await NextWithAsync(stream, u => u.Upserted.Any(e => e.Data.Id == Edge("web", "orders") && e.Data.Label.StartsWith("105 rps")));
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
        await using var connection = session.Connection();
        await connection.StartAsync();
        var stream = await connection.StreamAsChannelAsync<TopologyUpdate>("Topology", new TopologyFilter());

        var snapshot = await stream.ReadAsync();
        var toCanary = Assert.Single(snapshot.Upserted, e => e.Data.Id == "edge:default/web/v1->default/payroll/v2");
        Assert.Equal("canary 20% · step 2/5 · Progressing", toCanary.Data.Canary);
        Assert.StartsWith("canary 20% · step 2/5 · Progressing\n", toCanary.Data.Label);
        Assert.Contains("canary", toCanary.Classes.Split(' '));
        Assert.Contains("canary", Assert.Single(snapshot.Upserted, e => e.Data.Id == "ver:default/payroll/v2").Classes.Split(' '));
        var toStable = Assert.Single(snapshot.Upserted, e => e.Data.Id == Edge("web", "payroll"));
        Assert.Null(toStable.Data.Canary);
        Assert.DoesNotContain("canary", toStable.Classes.Split(' '));

        // Promoted: the rollout no longer owns the split, the mark goes with the next message.
        await portal.Services.GetRequiredService<RolloutStateStore>().SaveAsync(status with { Phase = RolloutPhase.Promoted, Step = 5, Weight = 100 }, handled: null, CancellationToken.None);
        live.Apply(ControlPlane, update);
        var ended = await NextWithAsync(stream, u => u.Upserted.Any(e => e.Data.Id == "edge:default/web/v1->default/payroll/v2"));
        var unmarked = Assert.Single(ended.Upserted, e => e.Data.Id == "edge:default/web/v1->default/payroll/v2");
        Assert.Null(unmarked.Data.Canary);
        Assert.DoesNotContain("canary", unmarked.Classes.Split(' '));
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
        await using var connection = session.Connection();
        await connection.StartAsync();
        var stream = await connection.StreamAsChannelAsync<TopologyUpdate>("Topology", new TopologyFilter());
        Assert.Equal("degraded", Assert.Single((await stream.ReadAsync()).Upserted, e => e.Data.Id == Edge("web", "search")).Classes);

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
            var recoloured = await NextWithAsync(stream, u => u.Upserted.Any(e => e.Data.Id == Edge("web", "search")));
            Assert.Equal("healthy", Assert.Single(recoloured.Upserted, e => e.Data.Id == Edge("web", "search")).Classes);
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
