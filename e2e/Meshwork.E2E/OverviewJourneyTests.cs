using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>
/// The Overview over a real mesh (portal, control plane, PostgreSQL, a demo backend behind its sidecar
/// and a caller's sidecar) with demo traffic flowing: in Chromium the page shows a non-zero request
/// rate live, the service as healthy, the fleet in sync, and the request-rate chart fed from the
/// rollups the control plane stored; it keeps following without a reload. Then the shop's live tap shows
/// the requests its sidecar samples, without their query strings, until Stop ends the tap on the proxy.
/// </summary>
public sealed class OverviewJourneyTests : IAsyncLifetime
{
    /// <summary>Sent in half the requests' query strings; the live tap must never show it.</summary>
    private const string SecretInQuery = "e2e-secret-4711";

    private DemoMesh? mesh;

    public async Task InitializeAsync() => mesh = await DemoMesh.StartAsync(
    [
        new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] },
        new Service { Metadata = new ResourceMetadata { Name = "shop" }, Versions = [new ServiceVersion { Name = "v1" }] },
    ], "v1");

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }

    [Fact]
    public async Task SignedIn_OpensTheOverview_SeesLiveRateHealthAndHistory_ThenTapsTheShopsRequests()
    {
        using var traffic = new CancellationTokenSource();
        var background = TrafficAsync(traffic.Token);
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        try
        {
            await mesh.SignInAsync(page, "/");
            await Eventually.HoldsAsync(async () => Number(await page.Locator("[data-testid=live-rps]").InnerTextAsync()) > 0,
                "a non-zero live request rate", DemoMesh.Converge);
            var shop = page.Locator("[data-testid=services-table] tbody tr", new() { HasText = "shop" });
            await Assertions.Expect(shop).ToContainTextAsync("Healthy", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=services-failing]")).ToHaveTextAsync("0 failing");
            await Assertions.Expect(page.Locator("[data-testid=fleet-sync-state]")).ToHaveTextAsync("In sync", new() { Timeout = DemoMesh.WaitMs });

            // The chart reads the control plane's stored rollups (saved every 10 s), re-read while the page is open.
            await Eventually.HoldsAsync(async () => Number(await page.Locator("[data-testid=chart-rps-latest]").InnerTextAsync()) > 0,
                "a non-zero request rate in the stored history", DemoMesh.Converge);
            await page.Locator("[data-testid=window-picker]").GetByText("5 min").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=chart-rps]")).ToContainTextAsync("Request rate (5 min)");
            // The title follows the click at once, the points when the window's read returns.
            await Eventually.HoldsAsync(async () => Number(await page.Locator("[data-testid=chart-rps-latest]").InnerTextAsync()) > 0,
                "the 5 min window shows the same traffic", DemoMesh.Converge);
            await mesh.ScreenshotAsync(page, "overview-01-live");

            // The live tap on the shop's page: sampled requests as the shop's sidecar saw them, the query string
            // (and the token in it) never shown; Stop ends the tap on the proxy itself.
            await page.GotoAsync(mesh.Portal.Url + "/services/default/shop");
            await page.Locator("[data-interactive=true]").WaitForAsync();
            await page.Locator("[data-testid=tap-start]").ClickAsync();
            var sample = page.Locator("[data-testid=tap-row]", new() { HasText = "/catalog" }).First;
            await Assertions.Expect(sample).ToContainTextAsync("GET", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(sample).ToContainTextAsync("200");
            await Assertions.Expect(sample).ToContainTextAsync("default/web");
            Assert.True((await mesh.Sidecar("shop-v1-1").TapStatsAsync()).GetProperty("active").GetBoolean(), "the shop's sidecar is tapping");
            Assert.DoesNotContain(SecretInQuery, await page.Locator("[data-testid=live-tap]").InnerTextAsync());
            await mesh.ScreenshotAsync(page, "overview-02-tap");
            await page.Locator("[data-testid=tap-stop]").ClickAsync();
            await Eventually.HoldsAsync(async () => !(await mesh.Sidecar("shop-v1-1").TapStatsAsync()).GetProperty("active").GetBoolean(),
                "the shop's sidecar stopped tapping after Stop", DemoMesh.Converge);
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh.JourneyFailedAsync(page, "overview", e);
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }

    /// <summary>The first number in a text such as "latest 12.5 req/s" or "12.5".</summary>
    private static double Number(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : (double?)null)
            .FirstOrDefault(n => n is not null) ?? 0;

    /// <summary>Demo traffic through the caller's sidecar until the journey ends.</summary>
    private async Task TrafficAsync(CancellationToken ct)
    {
        using var client = mesh!.Caller.OutboundClient();
        var requests = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(requests++ % 2 == 0 ? "http://shop/" : $"http://shop/catalog?token={SecretInQuery}", ct);
                await Task.Delay(20, ct);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Only what the page shows is asserted.
            }
        }
    }
}
