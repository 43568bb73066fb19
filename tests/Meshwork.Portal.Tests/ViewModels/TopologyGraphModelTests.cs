using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Portal.ViewModels;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Tests.ViewModels;

/// <summary>The topology graph's elements from live status: nodes, edges, health classes, split shares, filters.</summary>
public sealed class TopologyGraphModelTests
{
    private static GoldenSignals Signals(double rps, ulong requests, ulong failures = 0, double p99 = 40) =>
        new() { Rps = rps, Requests = requests, Failures = failures, SuccessRate = requests == 0 ? 1 : 1 - (double)failures / requests, P99Ms = p99, WindowSeconds = 10 };

    private static EdgeSignals Edge(string from, string to, string toVersion, GoldenSignals signals, string ns = "default") => new()
    {
        SourceNamespace = ns, SourceService = from, SourceVersion = "v1",
        DestinationNamespace = ns, DestinationService = to, DestinationVersion = toVersion, Signals = signals,
    };

    private static ServiceVersionSignals Version(string service, string version, int instances = 1, string ns = "default") =>
        new() { Namespace = ns, Service = service, Version = version, Instances = instances, HealthyInstances = instances, Signals = Signals(0, 0) };

    private static readonly EdgeSignals[] CanaryMesh =
    [
        Edge("web", "shop", "v1", Signals(9, 90)),
        Edge("web", "shop", "v2", Signals(1, 10, failures: 2)),
        Edge("shop", "db", "v1", Signals(10, 100, failures: 20)),
    ];

    [Fact]
    public void Build_NestsVersionsInTheirService_AndOrdersParentsVersionsEdges()
    {
        var elements = TopologyGraphModel.Build(CanaryMesh, [Version("shop", "v1"), Version("shop", "v2"), Version("db", "v1")], new TopologyFilter(), HealthThresholds.Default);

        var groups = elements.Select(e => (e.Group, Kind: e.Classes.Split(' ')[0])).ToList();
        var firstVersion = groups.FindIndex(g => g.Kind == "version");
        var firstEdge = groups.FindIndex(g => g.Group == "edges");
        Assert.True(groups.Take(firstVersion).All(g => g.Kind == "service") && groups.Skip(firstEdge).All(g => g.Group == "edges"));
        Assert.Equal(["svc:default/db", "svc:default/shop", "svc:default/web"], elements.Where(e => e.Classes.StartsWith("service")).Select(e => e.Data.Id));
        var shopV2 = Assert.Single(elements, e => e.Data.Id == "ver:default/shop/v2");
        Assert.Equal("svc:default/shop", shopV2.Data.Parent);
        Assert.Equal("v2 · 1/1 up", shopV2.Data.Label);
        Assert.Equal(3, elements.Count(e => e.Group == "edges"));
    }

    [Fact]
    public void LiveRolloutsCanary_ItsVersionAndTheEdgesToItAreMarked_WithItsProgressAboveTheTraffic()
    {
        var canary = new TopologyCanary("default", "shop", "v2", "canary 10% · step 2/5 · Progressing");
        var elements = TopologyGraphModel.Build(CanaryMesh, [Version("shop", "v1"), Version("shop", "v2")], new TopologyFilter(), HealthThresholds.Default, [canary]);

        var edges = elements.Where(e => e.Group == "edges").ToDictionary(e => e.Data.Target!);
        Assert.Equal("failing split canary", edges["ver:default/shop/v2"].Classes);
        Assert.Equal("canary 10% · step 2/5 · Progressing", edges["ver:default/shop/v2"].Data.Canary);
        Assert.Equal("canary 10% · step 2/5 · Progressing\n1 rps · 80% · p99 40 ms · 10% of split", edges["ver:default/shop/v2"].Data.Label);
        Assert.Equal(("healthy split", (string?)null), (edges["ver:default/shop/v1"].Classes, edges["ver:default/shop/v1"].Data.Canary));
        Assert.Equal("version idle canary", Assert.Single(elements, e => e.Data.Id == "ver:default/shop/v2").Classes);
        Assert.DoesNotContain(elements, e => e.Data.Id != "ver:default/shop/v2" && e.Group == "nodes" && e.Classes.Contains("canary"));
    }

    [Fact]
    public void TopologyCanary_OnlyForALiveRollout_SaysWeightStepPhase_AndTheMirrorDuringAMirrorStep()
    {
        var rollout = new Rollout
        {
            Metadata = new() { Name = "shop" }, Service = "shop", StableVersion = "v1", CanaryVersion = "v2",
            Steps = [new() { Mirror = new() }, new() { SetWeight = 20 }, new() { Pause = new() }],
        };
        RolloutStatus Status(RolloutPhase phase, int step, int weight, params string[] actions) => new()
        {
            Namespace = "default", Name = "shop", Phase = phase, Step = step, StepCount = 3, Weight = weight,
            History = actions.Select(a => new RolloutDecision(DateTimeOffset.UnixEpoch, "rollout-controller", a, a, step, weight)).ToList(),
        };

        Assert.Equal(new TopologyCanary("default", "shop", "v2", "canary 0% · mirroring 100% · step 1/3 · Progressing"),
            TopologyCanary.Of(rollout, Status(RolloutPhase.Progressing, 0, 0, "Started", "MirrorStarted")));
        Assert.Equal("canary 20% · step 3/3 · WaitingForApproval", TopologyCanary.Of(rollout, Status(RolloutPhase.WaitingForApproval, 2, 20))!.Label);
        Assert.Equal("canary 20% · step 2/3 · Paused", TopologyCanary.Of(rollout, Status(RolloutPhase.Paused, 1, 20))!.Label);
        Assert.Null(TopologyCanary.Of(rollout, Status(RolloutPhase.Promoted, 3, 100)));
        Assert.Null(TopologyCanary.Of(rollout, Status(RolloutPhase.RolledBack, 1, 0)));
    }

    [Fact]
    public void Edges_AreClassedByFailedShare_WithKialisThresholds_AndSplitsShowEachVersionsShare()
    {
        var edges = TopologyGraphModel.Build(CanaryMesh, [], new TopologyFilter(), HealthThresholds.Default).Where(e => e.Group == "edges").ToDictionary(e => e.Data.Target!);

        Assert.Equal("healthy split", edges["ver:default/shop/v1"].Classes);
        Assert.Equal("9 rps · 100% · p99 40 ms · 90% of split", edges["ver:default/shop/v1"].Data.Label);
        Assert.Equal("failing split", edges["ver:default/shop/v2"].Classes); // 20 % failed
        Assert.Equal("10% of split", edges["ver:default/shop/v2"].Data.Label.Split(" · ")[^1]);
        Assert.Equal("failing", edges["ver:default/db/v1"].Classes);
        Assert.Equal("ver:default/shop/v1", edges["ver:default/db/v1"].Data.Source);

        Assert.Equal(TrafficHealth.Degraded, TopologyGraphModel.HealthOf(Signals(1, 1000, failures: 2), HealthThresholds.Default));
        Assert.Equal(TrafficHealth.Healthy, TopologyGraphModel.HealthOf(Signals(1, 1000, failures: 1), HealthThresholds.Default));
        Assert.Equal(TrafficHealth.Idle, TopologyGraphModel.HealthOf(Signals(0, 0), HealthThresholds.Default));
    }

    [Fact]
    public void Build_ThresholdsFromSettings_DecideTheColours()
    {
        var lenient = HealthThresholds.From(new MeshSettings { Metadata = new() { Name = "mesh" }, DegradedAbovePercent = 1, FailingAbovePercent = 30 });

        var edges = TopologyGraphModel.Build(CanaryMesh, [], new TopologyFilter(), lenient).Where(e => e.Group == "edges").ToDictionary(e => e.Data.Target!);

        Assert.Equal("degraded split", edges["ver:default/shop/v2"].Classes); // 20 % failed: under 30 %
        Assert.Equal(TrafficHealth.Healthy, TopologyGraphModel.HealthOf(Signals(1, 1000, failures: 5), lenient)); // 0.5 %: under 1 %
    }

    [Fact]
    public void Filters_NamespaceHideIdleAndSearch()
    {
        EdgeSignals[] edges = [.. CanaryMesh, Edge("batch", "queue", "v1", Signals(0, 0), ns: "jobs")];

        var jobs = TopologyGraphModel.Build(edges, [], new TopologyFilter(Namespace: "jobs"), HealthThresholds.Default);
        Assert.Equal(["svc:jobs/batch", "svc:jobs/queue"], jobs.Where(e => e.Classes.StartsWith("service")).Select(e => e.Data.Id));
        Assert.Equal("idle", Assert.Single(jobs, e => e.Group == "edges").Data.Label);

        var busy = TopologyGraphModel.Build(edges, [], new TopologyFilter(HideIdle: true), HealthThresholds.Default);
        Assert.DoesNotContain(busy, e => e.Data.Id.Contains("jobs/"));

        var searched = TopologyGraphModel.Build(edges, [], new TopologyFilter(Search: "DB"), HealthThresholds.Default);
        Assert.DoesNotContain("dimmed", Assert.Single(searched, e => e.Data.Id == "ver:default/db/v1").Classes);
        Assert.Contains("dimmed", Assert.Single(searched, e => e.Data.Id == "ver:default/web/v1").Classes);
        Assert.DoesNotContain("dimmed", Assert.Single(searched, e => e.Data.Target == "ver:default/db/v1").Classes);
    }
}
