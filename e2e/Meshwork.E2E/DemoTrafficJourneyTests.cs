using System.Diagnostics;
using System.Globalization;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// The Fleet page's demo traffic panel over a real mesh: the generator runs as `./meshwork up` runs it
/// (its own process, control endpoint on Portal:DemoTraffic:ControlUrl), sending http://shop/ through the
/// caller's sidecar, so every request it sends crosses two proxies before the shop's demo backend counts it.
/// In Chromium the admin raises the rate and applies it; the shop backend's own counter then sees the new
/// rate, and the audit page lists the SetTraffic entry by the admin. (The mix and the Viewer's read-only
/// panel are covered by DemoTrafficPanelTests; the journey's portal has one user.)
/// </summary>
public sealed class DemoTrafficJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const double InitialRps = 1;
    private const double AppliedRps = 40;
    /// <summary>Between the two rates with room on both sides: a loaded machine slows the new rate, it does not fake it.</summary>
    private const double Threshold = 10;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(4);

    private readonly int controlPort = FreePort.Next();
    private DemoMesh? mesh;
    private ChildProcess? generator;

    public async Task InitializeAsync()
    {
        mesh = await DemoMesh.StartAsync(DemoMesh.ShopOnV1WithV2Idle(), new Dictionary<string, string>
        {
            ["Portal__DemoTraffic__ControlUrl"] = $"http://127.0.0.1:{controlPort}/traffic",
        }, "v1");
        generator = ChildProcess.Start("Meshwork.DemoApps",
        [
            "traffic", "--rps", InitialRps.ToString(CultureInfo.InvariantCulture),
            "--proxy", $"http://127.0.0.1:{mesh.Caller.OutboundPort}", "--admin-urls", $"http://127.0.0.1:{controlPort}", "http://shop/",
        ], name: "traffic");
        await generator.WaitForHttpOkAsync($"http://127.0.0.1:{controlPort}/health");
    }

    public async Task DisposeAsync()
    {
        if (generator is not null) await generator.DisposeAsync();
        if (mesh is not null) await mesh.DisposeAsync();
    }

    [Fact]
    public async Task Admin_RaisesTheDemoTrafficRate_OnTheFleetPage_TheShopBackendCountsTheNewRate_AndTheChangeIsAudited()
    {
        // Before: the generator's slow rate arrives at the shop through the mesh, well under the threshold.
        await Eventually.HoldsAsync(async () => await ShopRateAsync() is > 0 and < Threshold, $"the shop receives the generator's {InitialRps} requests/s", DemoMesh.Converge);

        var (page, consoleErrors) = await mesh!.NewPageAsync();
        try
        {
            await mesh.SignInAsync(page, "/fleet");
            var panel = page.Locator("[data-testid=demo-traffic]");
            var rps = panel.Locator("input[data-testid=demo-traffic-rps]");
            await Assertions.Expect(rps).ToHaveValueAsync("1", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(panel.Locator("input[data-testid=demo-traffic-url]")).ToHaveValueAsync("http://shop/");
            await rps.FillAsync("40");
            await rps.BlurAsync();
            await panel.Locator("[data-testid=demo-traffic-apply]").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Demo traffic set to 40 requests/s over 1 target(s).");
            await Assertions.Expect(panel.Locator("[data-testid=demo-traffic-error]")).ToHaveCountAsync(0);
            await mesh.ScreenshotAsync(page, "demo-traffic-applied");

            // What the mesh did: the shop backend's own counter sees requests at well over the old rate.
            await Eventually.HoldsAsync(async () => await ShopRateAsync() > Threshold, $"the shop receives the applied {AppliedRps} requests/s", DemoMesh.Converge);

            // The audit log names the change and who made it.
            await page.ClickAsync("a.mud-nav-link:has-text('Audit')");
            var entry = page.Locator("[data-testid=audit-table] tbody tr", new PageLocatorOptions { HasText = "SetTraffic" }).Filter(new() { HasText = DemoMesh.AdminEmail });
            await Assertions.Expect(entry).ToHaveCountAsync(1, new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(entry).ToContainTextAsync("demo-traffic");
            await mesh.ScreenshotAsync(page, "demo-traffic-audited");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception failure) when (failure is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            throw await mesh.JourneyFailedAsync(page, "demo-traffic", failure, "generator output:\n" + generator!.Output);
        }
    }

    /// <summary>Requests per second the shop's demo backend counted over one window (what really crossed the mesh).</summary>
    private async Task<double> ShopRateAsync()
    {
        var backend = mesh!.ShopBackend("v1");
        var clock = Stopwatch.StartNew();
        var before = await backend.RequestCountAsync();
        await Task.Delay(Window);
        var rate = (await backend.RequestCountAsync() - before) / clock.Elapsed.TotalSeconds;
        output.WriteLine($"shop v1: {rate:F1} requests/s");
        return rate;
    }
}
