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
/// A canary slider moved on a split a live rollout moves (issue 18 item 2): nothing is stored silently;
/// the person chooses between pausing the rollout and applying their weights, or cancelling the move.
/// Over the real store, with the rollout's state written by the controller's own store.
/// </summary>
public sealed class CanarySplitUnderRolloutTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task MoveUnderAProgressingRollout_AsksFirst_CancelLeavesRouteAndRolloutAlone()
    {
        var (key, rollout) = await SeedAsync("under-cancel", RolloutPhase.Progressing);
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Contains($"Rollout default/{rollout} (Progressing) moves this split", Text(page, "split-rollout-0")), Patience);

        page.Find("[data-testid=slider-0-1]").Change("60");

        page.WaitForAssertion(() => Assert.Contains("Your weights (under-cancel v1 40% / under-cancel v2 60%) are not applied yet", Text(page, "rollout-choice-0")), Patience);
        Assert.Equal("Pause the rollout and apply my weights", Text(page, "pause-rollout-and-apply-0"));
        Assert.NotNull(page.Find("[data-testid=slider-0-1]").GetAttribute("disabled")); // no second move while the first waits
        Assert.Equal(new[] { 80, 20 }, await WeightsAsync(key));

        page.Find("button[data-testid=cancel-move-0]").Click();

        page.WaitForAssertion(() =>
        {
            Assert.Empty(page.FindAll("[data-testid=rollout-choice-0]"));
            Assert.Equal("20%", Text(page, "desired-0-1"));
        }, Patience);
        Assert.Equal(new[] { 80, 20 }, await WeightsAsync(key));
        Assert.Null((await StateAsync(rollout))!.Pending);
    }

    [Fact]
    public async Task MoveUnderAProgressingRollout_PauseAndApply_QueuesPauseInTheirName_AndStoresTheirWeights()
    {
        var (key, rollout) = await SeedAsync("under-pause", RolloutPhase.Progressing);
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=split-rollout-0]")), Patience);

        page.Find("[data-testid=slider-0-1]").Change("60");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("button[data-testid=pause-rollout-and-apply-0]")), Patience);
        page.Find("button[data-testid=pause-rollout-and-apply-0]").Click();

        page.WaitForAssertion(() => Assert.Contains($"Rollout default/{rollout} paused", Text(page, "outcome")), Patience);
        Assert.Contains("Applied under-pause v1 40% / under-pause v2 60%", Text(page, "outcome"));
        Assert.Equal(new[] { 40, 60 }, await WeightsAsync(key));
        var pending = (await StateAsync(rollout))!.Pending;
        Assert.Equal((RolloutCommand.Pause, PortalFactory.AdminEmail), (pending!.Command, pending.Actor));
    }

    [Fact]
    public async Task RouteWithoutALiveRollout_AppliesAtOnce()
    {
        var (key, _) = await SeedAsync("under-done", RolloutPhase.RolledBack);
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("20%", Text(page, "desired-0-1")), Patience);
        Assert.Empty(page.FindAll("[data-testid=split-rollout-0]"));

        page.Find("[data-testid=slider-0-1]").Change("30");

        page.WaitForAssertion(() => Assert.Contains("Applied under-done v1 70% / under-done v2 30%", Text(page, "outcome")), Patience);
        Assert.Empty(page.FindAll("[data-testid=rollout-choice-0]"));
    }

    /// <summary>A service with v1 and v2, a route splitting it 80/20, a rollout of v2 and the controller's state of it in <paramref name="phase"/>.</summary>
    private async Task<(ResourceKey Route, string Rollout)> SeedAsync(string prefix, RolloutPhase phase)
    {
        var name = $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service(prefix, versions: ["v1", "v2"]), actor));
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = name },
            ParentRefs = [new ParentRef { Name = prefix }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = prefix, Version = "v1", Weight = 80 }, new BackendRef { Service = prefix, Version = "v2", Weight = 20 }] }],
        };
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(route, actor));
        var applied = Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Rollout
        {
            Metadata = new ResourceMetadata { Name = name }, Service = prefix, StableVersion = "v1", CanaryVersion = "v2",
            Steps = [new RolloutStep { SetWeight = 20 }, new RolloutStep { SetWeight = 100 }],
        }, actor));
        await portal.Services.GetRequiredService<RolloutStateStore>().SaveAsync(new RolloutStatus
        {
            Namespace = "default", Name = name, RolloutVersion = applied.Resources[0].Resource.Metadata.Version,
            Phase = phase, StepCount = 2, Weight = phase == RolloutPhase.RolledBack ? 0 : 20, StepStartedAt = DateTimeOffset.UtcNow,
        }, handled: null, CancellationToken.None);
        return (route.Key, name);
    }

    private async Task<int[]> WeightsAsync(ResourceKey key)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(key);
        return [.. ((HttpRoute)stored!.Resource).Rules[0].BackendRefs.Select(b => b.Weight)];
    }

    private Task<RolloutStatus?> StateAsync(string rollout) =>
        portal.Services.GetRequiredService<RolloutStateStore>().GetAsync("default", rollout, CancellationToken.None);

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Render(BunitContext context, ResourceKey key) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudSnackbarProvider>(1);
            b.CloseComponent();
            b.OpenComponent<CanarySplitEditor>(2);
            b.AddAttribute(3, nameof(CanarySplitEditor.RouteKey), key);
            b.CloseComponent();
        });

    private static string Text(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string testId) =>
        page.Find($"[data-testid={testId}]").TextContent.Trim();
}
