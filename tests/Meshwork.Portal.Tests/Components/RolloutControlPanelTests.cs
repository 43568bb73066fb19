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
