using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.ControlPlane.Tests.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Serialization;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Meshwork.Testing.Postgres;
using System.Net;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>
/// The rollout controller in the real control plane, driving a real mesh: orders v1 (stable) and v2
/// (canary) behind their sidecars, traffic from the web sidecar, the split in the orders route moved
/// by the controller through the audited write path. Waits are for conditions, never for time.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class RolloutControllerTests(MeshFixture mesh) : IClassFixture<MeshFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Generous = RolloutMesh.Generous;
    private NpgsqlDataSource database = null!;
    private RolloutStateStore states = null!;
    private RolloutMesh rollouts = null!;

    public async Task InitializeAsync()
    {
        database = NpgsqlDataSource.Create(mesh.ConnectionString);
        states = new RolloutStateStore(database);
        rollouts = new RolloutMesh(mesh, states);
        // Every test starts from all traffic on stable, no rollout and a healthy canary.
        await rollouts.DeleteAsync(new ResourceKey(ResourceKind.Rollout, "default", "orders"));
        await mesh.ApplyAsync(OrdersSplit(0));
        await mesh.OrdersV2Backend.SetErrorRateAsync(0);
        // The controller forgets the state of a deleted rollout: the next one starts with a clean history.
        await rollouts.DeleteRolloutAsync("orders");
    }

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task HealthyCanary_GoesThroughEveryStepTo100_EachWeightAnAuditedRouteChangeByTheController()
    {
        await using var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/");
        await mesh.ApplyAsync(Rollout([20, 50, null, 80], minRequests: 5));

        var promoted = await WaitForAsync(s => s.Phase == RolloutPhase.Promoted, "promoted");

        Assert.Equal(100, promoted.Weight);
        Assert.Equal(new[] { 20, 50, 80, 100 }, await ControllerWeightsAsync());
        Assert.Equal(3, promoted.History.Count(d => d.Action == "AnalysisPassed"));
        Assert.Contains(promoted.History, d => d.Action == "PauseEnded");
        using var client = mesh.Web.OutboundClient();
        await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous);
    }

    [Fact]
    public async Task CanaryAnswering20PercentErrors_IsRolledBackAfterTheFailureLimit_TrafficBackOnStable()
    {
        await mesh.OrdersV2Backend.SetErrorRateAsync(0.2);
        await using var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/");
        await mesh.ApplyAsync(Rollout([50, 100], minRequests: 5, failureLimit: 1));

        var rolledBack = await WaitForAsync(s => s.Phase is RolloutPhase.RolledBack or RolloutPhase.Promoted, "rolled back");

        Assert.Equal(RolloutPhase.RolledBack, rolledBack.Phase);
        Assert.Equal(0, rolledBack.Weight);
        Assert.Equal(0, rolledBack.Step);
        Assert.Equal(2, rolledBack.History.Count(d => d.Action == "AnalysisFailed"));
        var analysis = rolledBack.LastAnalysis!;
        Assert.Equal(AnalysisVerdict.Failed, analysis.Verdict);
        Assert.True(analysis.CanaryRequests >= 5, $"{analysis.CanaryRequests} canary requests counted");
        var successRate = Assert.Single(analysis.Checks, c => c.Metric == "successRatePercent");
        Assert.False(successRate.Passed);
        Assert.Equal(99, successRate.Threshold);
        Assert.True(successRate.Value < 99, $"success rate {successRate.Value}");
        // Stored and read back: each failed analysis with its decision (the page's timeline), every interval judged (its chart).
        Assert.All(rolledBack.History.Where(d => d.Action is "AnalysisFailed" or "RolledBack"), d => Assert.Equal(AnalysisVerdict.Failed, d.Analysis?.Verdict));
        var decided = rolledBack.History.Last(d => d.Action == "RolledBack").Analysis!;
        Assert.Equal((analysis.At, analysis.CanaryRequests, analysis.Reason), (decided.At, decided.CanaryRequests, decided.Reason));
        Assert.Equal(analysis.Checks, decided.Checks);
        Assert.True(rolledBack.Analyses.Count(a => a.Verdict == AnalysisVerdict.Failed) >= 2, $"{rolledBack.Analyses.Count} analyses recorded");
        Assert.Equal(analysis.At, rolledBack.Analyses[^1].At);
        Assert.Equal(new[] { 50, 0 }, await ControllerWeightsAsync());
        using var client = mesh.Web.OutboundClient();
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous, streak: 50);
    }

    [Fact]
    public async Task TooLittleTraffic_StepWaitsInconclusive_ThenAbortSendsEverythingBackToStable()
    {
        // A trickle: far fewer canary requests per interval than the rollout asks for.
        await mesh.ApplyAsync(Rollout([50, 100], minRequests: 100_000, failureLimit: 0));
        using (var client = mesh.Web.OutboundClient())
        {
            await WaitForAsync(s => s.Weight == 50, "at 50%");
            var waiting = await WaitForAsync(s => s.LastAnalysis is not null, "an analysis", async () => await client.GetAsync("http://orders/"));
            Assert.Equal(AnalysisVerdict.Inconclusive, waiting.LastAnalysis!.Verdict);
            Assert.Contains("at least 100000 needed", waiting.LastAnalysis.Reason);
            Assert.Equal((RolloutPhase.Progressing, 0, 50, 0), (waiting.Phase, waiting.Step, waiting.Weight, waiting.ConsecutiveFailures));
        }

        await states.RequestAsync("default", "orders", RolloutCommand.Abort, "alice@example.com", CancellationToken.None);

        var aborted = await WaitForAsync(s => s.Phase == RolloutPhase.Aborted, "aborted");
        Assert.Equal(0, aborted.Weight);
        Assert.Null(aborted.Pending);
        Assert.Contains(aborted.History, d => d.Action == "Aborted" && d.Actor == "alice@example.com");
        Assert.Equal(new[] { 50, 0 }, await ControllerWeightsAsync());
        using var after = mesh.Web.OutboundClient();
        await MeshFixture.WaitForServedByAsync(after, "orders-v1-a", Generous, streak: 50);
    }

    [Fact]
    public async Task ControlPlaneKilledMidRollout_ResumesAtTheSameStep_WithNoExtraWeightChange()
    {
        // Held at step 1 (30%): without traffic every interval is inconclusive.
        await mesh.ApplyAsync(Rollout([30, 60], minRequests: 100_000));
        await WaitForAsync(s => s.Weight == 30, "at 30%");
        var before = await states.GetAsync("default", "orders", CancellationToken.None);

        await mesh.ControlPlane.KillAsync();
        await mesh.ControlPlane.StartAsync();
        // The restarted leader has ticked over this rollout when it carries out a command given after the restart.
        await states.RequestAsync("default", "orders", RolloutCommand.Pause, "alice@example.com", CancellationToken.None);
        var resumed = await WaitForAsync(s => s.Phase == RolloutPhase.Paused, "paused after the restart");

        Assert.Equal((before!.Step, before.Weight, before.StepStartedAt), (resumed.Step, resumed.Weight, resumed.StepStartedAt));
        Assert.Equal(new[] { 30 }, await ControllerWeightsAsync());
        Assert.Single(resumed.History, d => d.Action == "WeightSet");
        Assert.Single(resumed.History, d => d.Action == "Started");
    }

    [Fact]
    public async Task CanaryCookie_AtWeight0_OnlyMatchingRequestsReachTheCanary_TheRuleGoesWhenAborted()
    {
        await mesh.ApplyAsync(Rollout([0, 50], minRequests: 100_000) with
        {
            CanaryHeader = new HeaderMatch { Name = "cookie", Type = StringMatchType.RegularExpression, Value = @"(.*;\s*)?canary=always(;.*)?" },
        });
        await WaitForAsync(s => s.History.Any(d => d.Action == "Started"), "started");
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{mesh.Web.OutboundPort}"), UseProxy = true, UseCookies = false });
        static Action<HttpRequestMessage> Cookie(string cookie) => request => request.Headers.Add("Cookie", cookie);

        await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous, streak: 20, configure: Cookie("theme=dark; canary=always"));
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous, streak: 50, configure: Cookie("theme=dark; canary=never"));
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous, streak: 50);
        var route = await rollouts.GetAsync<HttpRoute>(ResourceKind.HttpRoute, "orders");
        Assert.Equal(["ab-orders", null], route.Rules.Select(r => r.Name));
        Assert.Equal("v2", Assert.Single(route.Rules[0].BackendRefs).Version);
        Assert.Equal((RolloutPhase.Progressing, 0), ((await states.GetAsync("default", "orders", CancellationToken.None))!.Phase, route.Rules[1].BackendRefs.Single(b => b.Version == "v2").Weight));

        await states.RequestAsync("default", "orders", RolloutCommand.Abort, "alice@example.com", CancellationToken.None);

        await WaitForAsync(s => s.Phase == RolloutPhase.Aborted, "aborted");
        Assert.Null(Assert.Single((await rollouts.GetAsync<HttpRoute>(ResourceKind.HttpRoute, "orders")).Rules).Name);
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous, streak: 50, configure: Cookie("theme=dark; canary=always"));
    }

    [Fact]
    public async Task AbSteps_AtWeight0_AreAnalysedOnTheRequestsCarryingTheCookie_AndPromotedOnTheirOwn()
    {
        // Flagger's A/B testing as its importer writes it: setWeight 0 held for 2 iterations, only matching requests on the canary.
        await mesh.ApplyAsync(Rollout([0, 0], minRequests: 5) with
        {
            CanaryHeader = new HeaderMatch { Name = "cookie", Type = StringMatchType.RegularExpression, Value = @"(.*;\s*)?canary=always(;.*)?" },
        });
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{mesh.Web.OutboundPort}"), UseProxy = true, UseCookies = false });
        var answeredBy = new HashSet<string>();
        async Task SendAsync()
        {
            for (var i = 0; i < 10; i++) answeredBy.Add(await MeshFixture.ServedByAsync(client, request => request.Headers.Add("Cookie", "theme=dark; canary=always")));
        }

        var promoted = await WaitForAsync(s => s.Phase is RolloutPhase.Promoted or RolloutPhase.RolledBack, "promoted", SendAsync);

        Assert.Equal(RolloutPhase.Promoted, promoted.Phase);
        var passes = promoted.History.Where(d => d.Action == "AnalysisPassed").ToList();
        Assert.Equal(2, passes.Count);
        Assert.All(passes, d => Assert.Equal((0, true), (d.Weight, d.Analysis!.CanaryRequests >= 5)));
        Assert.DoesNotContain(promoted.History, d => d.Action == "NothingToAnalyse");
        Assert.Contains("orders-v2-a", answeredBy);
    }

    [Fact]
    public async Task MirrorStepOf100_CanaryAnswersCopiesJudgedByAnalysis_ClientGetsOnlyStable_MirrorGoneOnTheNextStepAndOnDelete()
    {
        // Held at the mirror step: with minRequests out of reach every interval is inconclusive.
        await mesh.ApplyAsync(Rollout([0], minRequests: 100_000) with
        {
            Steps = [new RolloutStep { Mirror = new RolloutMirror() }, new RolloutStep { SetWeight = 0 }, new RolloutStep { Mirror = new RolloutMirror { Percent = 50 } }],
        });
        await WaitForAsync(s => s.History.Any(d => d.Action == "MirrorStarted"), "mirroring");
        var mirror = Assert.Single(Assert.Single((await rollouts.GetAsync<HttpRoute>(ResourceKind.HttpRoute, "orders")).Rules).Filters).RequestMirror!;
        Assert.Equal(("orders", "v2", 100.0), (mirror.BackendRef.Service, mirror.BackendRef.Version, mirror.Percent));

        using var client = mesh.Web.OutboundClient();
        var before = await mesh.OrdersV2Backend.RequestCountAsync();
        var answeredBy = new HashSet<string>();
        async Task SendAsync()
        {
            for (var i = 0; i < 10; i++) answeredBy.Add(await MeshFixture.ServedByAsync(client));
        }
        // The analysis counts the copies the canary answered, while every answer the client gets is stable's.
        var judged = await WaitForAsync(s => s.LastAnalysis is { CanaryRequests: >= 10 }, "an analysis counting mirrored requests", SendAsync);
        Assert.Equal(["orders-v1-a"], answeredBy);
        Assert.Equal((RolloutPhase.Progressing, 0, 0), (judged.Phase, judged.Step, judged.Weight));
        Assert.Equal(AnalysisVerdict.Inconclusive, judged.LastAnalysis!.Verdict);
        Assert.True(await mesh.OrdersV2Backend.RequestCountAsync() - before >= 10, "the canary app received the copies");

        await states.RequestAsync("default", "orders", RolloutCommand.Promote, "alice@example.com", CancellationToken.None);
        await WaitForAsync(s => s.Step == 1, "at step 2");
        var after = Assert.Single((await rollouts.GetAsync<HttpRoute>(ResourceKind.HttpRoute, "orders")).Rules);
        Assert.Empty(after.Filters);
        Assert.Equal(0, after.BackendRefs.Single(b => b.Version == "v2").Weight);

        // Step 2 (0 %, no mirror, no canaryHeader) gives the canary nothing to judge: it ends on its own after one interval.
        var third = await WaitForAsync(s => s.Step == 2 && s.History.Count(d => d.Action == "MirrorStarted") == 2, "mirroring 50% at step 3");
        Assert.Contains(third.History, d => d.Action == "NothingToAnalyse");
        Assert.Equal(50, Assert.Single(Assert.Single((await rollouts.GetAsync<HttpRoute>(ResourceKind.HttpRoute, "orders")).Rules).Filters).RequestMirror!.Percent);
        await rollouts.DeleteRolloutAsync("orders");
        Assert.Empty(Assert.Single((await rollouts.GetAsync<HttpRoute>(ResourceKind.HttpRoute, "orders")).Rules).Filters);
    }

    private static Rollout Rollout(int?[] weights, int minRequests, int failureLimit = 2) => RolloutMesh.Rollout(weights, minRequests, failureLimit);

    private static HttpRoute OrdersSplit(int canaryWeight) => RolloutMesh.OrdersSplit(canaryWeight);

    private Task<RolloutStatus> WaitForAsync(Func<RolloutStatus, bool> condition, string what, Func<Task>? meanwhile = null) =>
        rollouts.WaitForAsync(condition, what, meanwhile);

    /// <summary>The canary weights of the orders route, in order, as the controller wrote them (its audit entries).</summary>
    private async Task<int[]> ControllerWeightsAsync()
    {
        await using var db = MigratedDatabase.OpenSession(mesh.ConnectionString);
        var audit = new AuditLog(db);
        var entries = (await audit.QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Name = "orders", Actor = "rollout-controller", Take = 10_000 }))
            .OrderBy(a => a.Sequence).ToList();
        Assert.All(entries, e => Assert.Equal(ChangeSource.RolloutController, e.Source));
        // Only the entries since this test's rollout began (the fixture's mesh is shared by the tests of this class).
        var since = (await audit.QueryAsync(new AuditQuery { Kind = ResourceKind.Rollout, Name = "orders", Take = 1 })).First().Sequence;
        return entries.Where(e => e.Sequence > since)
            .Select(e => ((HttpRoute)MeshworkJson.Deserialize(e.AfterJson!)).Rules[0].BackendRefs.Single(b => b.Version == "v2").Weight)
            .ToArray();
    }
}
