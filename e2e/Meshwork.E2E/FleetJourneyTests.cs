using System.Globalization;
using System.Text.RegularExpressions;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// The Fleet page deploys: the portal runs with Portal:Fleet pointing at the proxy and demo apps built
/// beside this project, over a mesh whose route sends every request for shop to v1 (v2 declared, at 0 %),
/// with real requests flowing through the caller's sidecar. In Chromium the admin opens "Deploy version"
/// and deploys shop v2 (one instance, run by the portal's driver):
/// - without a rollout: the instance runs, its sidecar joins, and once a route sends v2 traffic the
///   topology graph draws the v2 node with the caller's edge into it carrying requests;
/// - with a rollout template (issue 18, d): the dialog links to the rollout, and on the Rollouts page the
///   controller's steps advance while real requests reach the new instance.
/// The portal's process tree (its fleet included) is killed when the mesh is disposed.
/// </summary>
public sealed class FleetJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string CanaryVersionNode = "ver:default/shop/v2";
    private const string CanaryEdge = "edge:default/web/v1->default/shop/v2";
    /// <summary>The new instance's x-served-by (the driver names instances service-version-n).</summary>
    private const string CanaryInstance = "shop-v2-1";

    /// <summary>A step passes on one analysis (30 s by default) plus config pushes, on a loaded machine: generous.</summary>
    private static readonly float RolloutStepWaitMs = (float)TimeSpan.FromMinutes(4).TotalMilliseconds;

    private DemoMesh? mesh;
    private readonly string fleetState = Path.Combine(Path.GetTempPath(), "meshwork-e2e-fleet-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync() => mesh = await DemoMesh.StartAsync(DemoMesh.ShopOnV1WithV2Idle(), new Dictionary<string, string>
    {
        ["Portal__Fleet__ProxyPath"] = AppContext.BaseDirectory,
        ["Portal__Fleet__DemoAppsPath"] = AppContext.BaseDirectory,
        ["Portal__Fleet__StateDirectory"] = fleetState,
    }, "v1");

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
        try
        {
            Directory.Delete(fleetState, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Admin_DeploysAVersionFromTheFleetPage_SeesItRunAndJoin_AndInTheGraphOnceItGetsTraffic()
    {
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = mesh.CallerTrafficAsync(traffic.Token);
        try
        {
            await mesh.SignInAsync(page, "/fleet");
            await DeployShopV2Async(page, template: null);

            var row = page.Locator("[data-testid=deployment-row][data-instance=shop-v2-1]");
            await Assertions.Expect(row.Locator("[data-testid=deployment-state]")).ToHaveTextAsync("running", new() { Timeout = 2 * DemoMesh.WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=proxies-table]")).ToContainTextAsync("sidecar-shop-v2-1", new() { Timeout = DemoMesh.WaitMs });
            await mesh.ScreenshotAsync(page, "fleet-deployed");

            // The route sends v2 nothing yet: the caller's edge into v2 carries no requests.
            await page.ClickAsync("a.mud-nav-link:has-text('Topology')");
            var graph = page.Locator("[data-testid=topology-graph]");
            await Assertions.Expect(graph).ToHaveAttributeAsync("data-ready", "true", new() { Timeout = DemoMesh.WaitMs });
            Assert.Equal(0, RequestsPerSecond(await LabelAsync(page, CanaryEdge)));

            // Half the requests to v2 with the service's split slider, then the graph draws v2 with traffic into it.
            await page.ClickAsync("a.mud-nav-link:has-text('Services')");
            await page.ClickAsync("[data-testid=open-service-shop]");
            var split = page.Locator("[data-testid=route-split-shop]");
            await split.Locator("[data-testid=slider-0-1]").FillAsync("50");
            await Assertions.Expect(split.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied shop v1 50% / shop v2 50%");
            await Assertions.Expect(split.Locator("[data-testid=sync-progress]")).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = DemoMesh.WaitMs });

            await page.ClickAsync("a.mud-nav-link:has-text('Topology')");
            await Assertions.Expect(graph).ToHaveAttributeAsync("data-ready", "true", new() { Timeout = DemoMesh.WaitMs });
            await Eventually.HoldsAsync(async () => await LabelAsync(page, CanaryVersionNode) is not null && RequestsPerSecond(await LabelAsync(page, CanaryEdge)) > 0,
                "the graph draws shop v2 with the caller's requests into it", DemoMesh.Converge);
            output.WriteLine($"{await LabelAsync(page, CanaryVersionNode)} | {await LabelAsync(page, CanaryEdge)}");
            await mesh.ScreenshotAsync(page, "fleet-deployed-in-graph");
            // What the mesh did: the instance the portal deployed really answers.
            await Eventually.HoldsAsync(async () => (await mesh.CountServedByAsync(20)).ContainsKey(CanaryInstance), "shop v2 answers through the caller", DemoMesh.Converge);
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception failure) when (failure is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            throw await mesh.JourneyFailedAsync(page, "fleet", failure);
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }

    [Fact]
    public async Task Admin_DeploysAVersionWithARolloutTemplate_WatchesTheRolloutAdvance_WhileRealTrafficReachesIt()
    {
        await Eventually.HoldsAsync(async () => (await mesh!.CountServedByAsync(10)).GetValueOrDefault("shop-v1-a") == 10, "shop served by v1 through the caller", DemoMesh.Converge);
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = mesh.CallerTrafficAsync(traffic.Token);
        try
        {
            await mesh.SignInAsync(page, "/fleet");
            await DeployShopV2Async(page, template: "canary-10-25-50-100");

            // The dialog deploys, then starts the rollout, and links to it.
            var dialog = page.Locator("[data-testid=deploy-dialog]");
            await Assertions.Expect(dialog.Locator("[data-testid=deploy-watch-rollout]")).ToBeVisibleAsync(new() { Timeout = 2 * DemoMesh.WaitMs });
            await Assertions.Expect(dialog.Locator("[data-testid=deploy-progress]")).ToContainTextAsync("Started rollout default/shop-v2");
            await mesh.ScreenshotAsync(page, "fleet-rollout-01-started");
            await dialog.Locator("[data-testid=deploy-watch-rollout]").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/rollouts#rollout-default-shop-v2$"));

            // The controller sets the first weight, then an analysis of real traffic passes and it moves on: the page follows.
            var card = page.Locator("[data-testid='rollout-default/shop-v2']");
            await Assertions.Expect(card.Locator("[data-testid=rollout-phase]")).ToHaveTextAsync("Progressing", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(card.Locator("[data-testid=rollout-timeline] [data-action=WeightSet]").First).ToBeVisibleAsync(new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(card.Locator("[data-testid=rollout-step-1]")).ToHaveAttributeAsync("data-state", "Done", new() { Timeout = RolloutStepWaitMs });
            await Assertions.Expect(card.Locator("[data-testid=rollout-step-2]")).ToHaveAttributeAsync("data-state", new Regex("^(Current|Done)$"));
            await Assertions.Expect(card.Locator("[data-testid=rollout-progress]")).ToContainTextAsync(new Regex(@"canary v2 at (25|50|100)%"));
            await mesh.ScreenshotAsync(page, "fleet-rollout-02-advanced");

            // What the mesh did: real requests reach the instance the portal deployed.
            await Eventually.HoldsAsync(async () => (await mesh.CountServedByAsync(40)).ContainsKey(CanaryInstance), "shop v2 answers through the caller", DemoMesh.Converge);
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception failure) when (failure is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            throw await mesh.JourneyFailedAsync(page, "fleet-rollout", failure);
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }

    /// <summary>"Deploy version" for shop v2 (one instance), with a rollout template or none; leaves the dialog open (it closes itself without a rollout).</summary>
    private static async Task DeployShopV2Async(IPage page, string? template)
    {
        await page.ClickAsync("[data-testid=deploy-version]");
        var dialog = page.Locator("[data-testid=deploy-dialog]");
        await dialog.Locator("input[data-testid=deploy-service]").FillAsync("shop");
        await dialog.Locator("input[data-testid=deploy-service]").BlurAsync();
        await dialog.Locator("input[data-testid=deploy-version-name]").FillAsync("v2");
        await dialog.Locator("input[data-testid=deploy-version-name]").BlurAsync();
        if (template is not null)
        {
            await dialog.Locator($"[data-testid=deploy-rollout-{template}]").ClickAsync();
            await Assertions.Expect(dialog.Locator("[data-testid=deploy-rollout-stable]")).ToBeVisibleAsync();
        }
        await page.ClickAsync("[data-testid=deploy-submit]");
    }

    /// <summary>The label the graph draws on a node or an edge (null while it has no such element).</summary>
    private static async Task<string?> LabelAsync(IPage page, string id) =>
        await page.EvaluateAsync<string?>("id => { const g = document.querySelector('[data-testid=topology-graph]').meshworkGraph; return g?.cy.getElementById(id).nonempty() ? g.labelOf(id) : null; }", id);

    /// <summary>The requests per second an edge's label shows ("12.5 rps · ..."); 0 for no edge.</summary>
    private static double RequestsPerSecond(string? label) =>
        label is not null && Regex.Match(label, @"([\d.]+) rps") is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
}
