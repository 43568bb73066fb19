using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The Rollouts page's live panel over the real store: the controller's state (written here with the
/// controller's own store) shown per rollout, and the commands each role may give queued for it.
/// </summary>
public sealed class RolloutControlPanelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string OperatorEmail = "operator@example.com";

    private sealed class Context(PortalFactory portal, string user, string[] policies) : PortalComponentTest(portal, user, policies);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Operator_SeesPhaseStepWeightAndAnalysis_AbortQueuesTheCommandWithTheirName()
    {
        var rollout = await CreateAsync(RolloutPhase.Progressing, weight: 20);
        await using var context = new Context(portal, OperatorEmail, [PortalPolicies.Read, PortalPolicies.EditTraffic]);
        var page = Render(context);
        var row = $"[data-testid='rollout-default/{rollout}']";

        page.WaitForAssertion(() =>
        {
            Assert.Contains($"step 1/2, canary v2 at 20%, stable v1 at 80%", page.Find(row).TextContent);
            Assert.Contains("inconclusive: 3 canary requests in 30 s", page.Find($"{row} [data-testid=rollout-analysis]").TextContent);
        }, Patience);
        Assert.Null(page.Find($"{row} button[data-testid=rollout-promote]").GetAttribute("disabled"));
        Assert.NotNull(page.Find($"{row} button[data-testid=rollout-resume]").GetAttribute("disabled"));
        Assert.Empty(page.FindAll($"{row} button[data-testid=rollout-skip-analysis]"));

        page.Find($"{row} button[data-testid=rollout-abort]").Click();

        page.WaitForAssertion(() => Assert.Contains("Abort sent to the rollout controller", page.Find("[data-testid=outcome]").TextContent), Patience);
        var stored = await portal.Services.GetRequiredService<RolloutStateStore>().GetAsync("default", rollout, CancellationToken.None);
        Assert.Equal((RolloutCommand.Abort, OperatorEmail), (stored!.Pending!.Command, stored.Pending.Actor));
    }

    [Fact]
    public async Task Viewer_WatchesWithoutButtons_AdminAlsoGetsSkipAnalysis()
    {
        var rollout = await CreateAsync(RolloutPhase.WaitingForApproval, weight: 50);
        var row = $"[data-testid='rollout-default/{rollout}']";
        await using (var viewer = new Context(portal, "viewer@example.com", [PortalPolicies.Read]))
        {
            var page = Render(viewer);
            page.WaitForAssertion(() => Assert.Contains("WaitingForApproval", page.Find(row).TextContent), Patience);
            Assert.Empty(page.FindAll($"{row} button"));
        }
        await using var admin = new Context(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var adminPage = Render(admin);
        adminPage.WaitForAssertion(() => Assert.NotEmpty(adminPage.FindAll($"{row} button[data-testid=rollout-skip-analysis]")), Patience);
    }

    [Fact]
    public async Task Timeline_ExplainsEveryDecision_StepsAndChartShowTheAnalyses_AndThePageFollowsTheControllerLive()
    {
        var rollout = await CreateAsync(RolloutPhase.Progressing, weight: 20);
        await using var context = new LiveComponentTest(portal, OperatorEmail, [PortalPolicies.Read, PortalPolicies.EditTraffic]);
        var page = Render(context);
        var row = $"[data-testid='rollout-default/{rollout}']";
        page.WaitForAssertion(() =>
        {
            Assert.Equal("Current", page.Find($"{row} [data-testid=rollout-step-1]").GetAttribute("data-state"));
            Assert.Equal("Pending", page.Find($"{row} [data-testid=rollout-step-2]").GetAttribute("data-state"));
            Assert.NotNull(page.Find($"{row} [data-testid=rollout-chart-empty]"));
        }, Patience);

        // The controller (here: its own store) judges two intervals, the second failing, and rolls back; an operator had paused and resumed.
        var states = portal.Services.GetRequiredService<RolloutStateStore>();
        var current = (await states.GetAsync("default", rollout, CancellationToken.None))!;
        var start = DateTimeOffset.UtcNow.AddMinutes(-2);
        var passed = Analysis(start.AddSeconds(30), AnalysisVerdict.Passed, canarySuccess: 100, canaryP99: 12, canaryRequests: 60);
        var failed = Analysis(start.AddSeconds(60), AnalysisVerdict.Failed, canarySuccess: 50, canaryP99: 14, canaryRequests: 120);
        await states.SaveAsync(current with
        {
            Phase = RolloutPhase.RolledBack, Weight = 0, LastAnalysis = failed, Analyses = [passed, failed],
            History =
            [
                new RolloutDecision(start, "rollout-controller", "WeightSet", "step 1: canary v2 to 20%, stable v1 to 80%", 0, 20),
                new RolloutDecision(start.AddSeconds(10), OperatorEmail, "Paused", "held at 20% by an operator", 0, 20),
                new RolloutDecision(start.AddSeconds(20), OperatorEmail, "Resumed", "resumed at step 1", 0, 20),
                new RolloutDecision(start.AddSeconds(60), "rollout-controller", "AnalysisFailed", "failure 1 of 0 tolerated: failed: success rate 50% < 99%", 0, 20) { Analysis = failed },
                new RolloutDecision(start.AddSeconds(60), "rollout-controller", "RolledBack", "1 failed analyses in a row: all traffic back to stable", 0, 0) { Analysis = failed },
            ],
        }, handled: null, CancellationToken.None);
        context.State.ResourcesChanged(); // a tick of the live stream

        page.WaitForAssertion(() =>
        {
            Assert.Equal("RolledBack", page.Find($"{row} [data-testid=rollout-phase]").TextContent.Trim());
            var decisions = page.FindAll($"{row} [data-testid=rollout-decision]");
            Assert.Equal(["RolledBack", "AnalysisFailed", "Resumed", "Paused", "WeightSet"], decisions.Select(d => d.GetAttribute("data-action")));
            var failure = decisions[1];
            Assert.Equal("Failed", failure.QuerySelector("[data-testid=decision-verdict]")!.TextContent.Trim());
            Assert.Equal(["success rate 50% (needs ≥ 99%): failed", "p99 latency 14 ms (needs ≤ 500 ms): passed"],
                failure.QuerySelectorAll("[data-testid=decision-check]").Select(c => c.TextContent.Trim()));
            Assert.Contains("canary 120 requests (at least 20 needed), 50% success, p99 14 ms; stable 118 requests, 100% success, p99 9 ms",
                failure.QuerySelector("[data-testid=decision-requests]")!.TextContent);
            Assert.Contains($"{start.AddSeconds(60).UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", failure.QuerySelector("[data-testid=decision-meta]")!.TextContent);
            Assert.Contains("by the rollout controller", failure.QuerySelector("[data-testid=decision-meta]")!.TextContent);
            Assert.Contains("step 1 of 2 at 20%", failure.QuerySelector("[data-testid=decision-meta]")!.TextContent);
            Assert.Contains($"by operator {OperatorEmail}", decisions[3].QuerySelector("[data-testid=decision-meta]")!.TextContent);
            Assert.Equal("Stopped", page.Find($"{row} [data-testid=rollout-step-1]").GetAttribute("data-state"));
            // Two series (canary, stable) per chart, one point per recorded analysis.
            Assert.Contains("canary v2", page.Find($"{row} [data-testid=rollout-chart-success]").TextContent);
            Assert.Contains("stable v1", page.Find($"{row} [data-testid=rollout-chart-p99]").TextContent);
        }, Patience);
        Assert.NotNull(page.Find($"{row} button[data-testid=rollout-retry]"));
        Assert.Null(page.Find($"{row} button[data-testid=rollout-retry]").GetAttribute("disabled"));
    }

    private static RolloutAnalysisResult Analysis(DateTimeOffset at, AnalysisVerdict verdict, double canarySuccess, double canaryP99, ulong canaryRequests) => new()
    {
        At = at, Verdict = verdict, Reason = verdict.ToString().ToLowerInvariant(), Interval = TimeSpan.FromSeconds(30), CanaryWeight = 20,
        CanaryRequests = canaryRequests, CanarySuccessRatePercent = canarySuccess, CanaryP99Ms = canaryP99,
        StableRequests = 118, StableSuccessRatePercent = 100, StableP99Ms = 9, MinRequests = 20,
        Checks =
        [
            new AnalysisCheck(AnalysisCheck.SuccessRate, canarySuccess, 99, canarySuccess >= 99),
            new AnalysisCheck(AnalysisCheck.LatencyP99, canaryP99, 500, canaryP99 <= 500),
        ],
    };

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Render(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<RolloutControlPanel>(1);
            b.CloseComponent();
        });

    /// <summary>A service with v1 and v2, a two-step rollout of it, and the controller's state for it; returns the rollout's name.</summary>
    private async Task<string> CreateAsync(RolloutPhase phase, int weight)
    {
        var name = "panel-" + Guid.NewGuid().ToString("N")[..8];
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("tests", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Service
        {
            Metadata = new ResourceMetadata { Name = name }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
        }, actor));
        var applied = Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Rollout
        {
            Metadata = new ResourceMetadata { Name = name }, Service = name, StableVersion = "v1", CanaryVersion = "v2",
            Steps = [new RolloutStep { SetWeight = weight }, new RolloutStep { SetWeight = 100 }],
        }, actor));
        await portal.Services.GetRequiredService<RolloutStateStore>().SaveAsync(new RolloutStatus
        {
            Namespace = "default", Name = name, RolloutVersion = applied.Resources[0].Resource.Metadata.Version,
            Phase = phase, Step = 0, StepCount = 2, Weight = weight, StepStartedAt = DateTimeOffset.UtcNow,
            LastAnalysis = new RolloutAnalysisResult
            {
                At = DateTimeOffset.UtcNow, Verdict = AnalysisVerdict.Inconclusive, CanaryWeight = weight, Interval = TimeSpan.FromSeconds(30),
                Reason = "inconclusive: 3 canary requests in 30 s, at least 20 needed; the step waits", CanaryRequests = 3, MinRequests = 20,
            },
        }, handled: null, CancellationToken.None);
        return name;
    }
}
