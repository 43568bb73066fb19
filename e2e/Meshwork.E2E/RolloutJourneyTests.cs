using Meshwork.Model.Resources;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// A failing canary over a real mesh (issue 18): the demo shop's v2 answers half its requests with 500.
/// An Admin defines a rollout of v2 on the Rollouts page while real traffic flows through the caller's
/// sidecar; the control plane's rollout controller moves half the traffic to v2, the analysis fails, and
/// it rolls back. The page, without a reload, shows the rollback with the failed analysis explained in
/// the timeline and the canary-vs-stable chart; the mesh really sends every request back to v1.
/// </summary>
public sealed class RolloutJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Two analyses of 3 s must fail on a loaded machine, plus config pushes: generous.</summary>
    private static readonly float RollbackWaitMs = (float)TimeSpan.FromMinutes(4).TotalMilliseconds;

    private const string RolloutYaml = """
        kind: Rollout
        metadata:
          name: shop
        service: shop
        stableVersion: v1
        canaryVersion: v2
        steps:
          - setWeight: 50
          - pause: {duration: 10m}
          - setWeight: 100
        analysis:
          interval: 3s
          minSuccessRatePercent: 99
          maxLatencyP99: 5s
          failureLimit: 1
          minRequests: 10
        """;

    private DemoMesh? mesh;

    /// <summary>The demo shop with every request on v1 and v2 deployed at 0 %.</summary>
    public async Task InitializeAsync() => mesh = await DemoMesh.StartAsync(DemoMesh.ShopOnV1WithV2Idle(), "v1", "v2");

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }

    [Fact]
    public async Task Admin_StartsARolloutOfAFailingCanary_ThePageShowsItRolledBackWithTheFailedAnalysis_TrafficBackOnStable()
    {
        await Eventually.HoldsAsync(async () => (await mesh!.CountServedByAsync(10)).GetValueOrDefault("shop-v1-a") == 10, "shop served by v1 through the caller", DemoMesh.Converge);
        await mesh!.ShopBackend("v2").SetErrorRateAsync(0.5);
        var canaryRequestsBefore = await mesh.ShopBackend("v2").RequestCountAsync();

        var (page, consoleErrors) = await mesh.NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = mesh.CallerTrafficAsync(traffic.Token);
        try
        {
            await mesh.SignInAsync(page, "/rollouts");
            await page.FillAsync("textarea[data-testid=yaml-editor]", RolloutYaml);
            await Assertions.Expect(page.Locator("textarea[data-testid=yaml-editor]")).ToHaveValueAsync(RolloutYaml);
            await page.ClickAsync("[data-testid=yaml-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]").First).ToContainTextAsync("Applied Rollout/default/shop");

            // The controller picks it up and moves half the traffic to v2: the page follows without a reload.
            var card = page.Locator("[data-testid='rollout-default/shop']");
            await Assertions.Expect(card.Locator("[data-testid=rollout-timeline] [data-action=WeightSet]").First).ToBeVisibleAsync(new() { Timeout = DemoMesh.WaitMs });
            await mesh.ScreenshotAsync(page, "rollout-01-progressing");

            // Two failed analyses (more than failureLimit 1) roll it back on the page, each explained.
            await Assertions.Expect(card.Locator("[data-testid=rollout-phase]")).ToHaveTextAsync("RolledBack", new() { Timeout = RollbackWaitMs });
            var rolledBack = card.Locator("[data-testid=rollout-decision][data-action=RolledBack]");
            await Assertions.Expect(rolledBack).ToContainTextAsync("all traffic back to stable");
            await Assertions.Expect(rolledBack.Locator("[data-testid=decision-verdict]")).ToHaveTextAsync("Failed");
            await Assertions.Expect(rolledBack.Locator("[data-testid=decision-check]").First).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"success rate [\d.]+% \(needs ≥ 99%\): failed"));
            await Assertions.Expect(rolledBack.Locator("[data-testid=decision-requests]")).ToContainTextAsync("at 50% canary");
            await Assertions.Expect(rolledBack.Locator("[data-testid=decision-meta]")).ToContainTextAsync("by the rollout controller");
            await Assertions.Expect(card.Locator("[data-testid=rollout-decision][data-action=AnalysisFailed]")).ToHaveCountAsync(2);
            await Assertions.Expect(card.Locator("[data-testid=rollout-step-1]")).ToHaveAttributeAsync("data-state", "Stopped");
            await Assertions.Expect(card.Locator("[data-testid=rollout-chart-success]")).ToContainTextAsync("canary v2");
            await Assertions.Expect(card.Locator("[data-testid=rollout-progress]")).ToContainTextAsync("canary v2 at 0%, stable v1 at 100%");
            await mesh.ScreenshotAsync(page, "rollout-02-rolled-back");
            output.WriteLine(await rolledBack.InnerTextAsync());

            // What the mesh did: v2 really got requests during the rollout, and now every request goes to v1.
            Assert.True(await mesh.ShopBackend("v2").RequestCountAsync() > canaryRequestsBefore, "the canary received real requests during the rollout");
            await Eventually.HoldsAsync(async () => (await mesh!.CountServedByAsync(20)).GetValueOrDefault("shop-v1-a") == 20, "every request back on shop v1", DemoMesh.Converge);
            // And the route's stored split says so (the Services page's sliders).
            await page.GotoAsync(mesh.Portal.Url + "/services/default/shop");
            await page.Locator("[data-interactive=true]").WaitForAsync();
            var split = page.Locator("[data-testid=route-split-shop]");
            await Assertions.Expect(split.Locator("[data-testid=desired-0-0]")).ToHaveTextAsync("100%", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(split.Locator("[data-testid=desired-0-1]")).ToHaveTextAsync("0%");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh.JourneyFailedAsync(page, "rollout", e);
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }
}
