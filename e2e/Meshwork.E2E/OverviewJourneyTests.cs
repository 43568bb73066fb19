using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>
/// The Overview over a real mesh (portal, control plane, PostgreSQL, a demo backend behind its sidecar
/// and a caller's sidecar) with demo traffic flowing: in Chromium the page shows a non-zero request
/// rate live, the service as healthy, the fleet in sync, and the request-rate chart fed from the
/// rollups the control plane stored; it keeps following without a reload.
/// </summary>
public sealed class OverviewJourneyTests : IAsyncLifetime
{
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
    public async Task SignedIn_OpensTheOverview_SeesLiveRequestRateHealthAndTheStoredHistory()
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
            Assert.True(Number(await page.Locator("[data-testid=chart-rps-latest]").InnerTextAsync()) > 0, "the 5 min window shows the same traffic");
            await mesh.ScreenshotAsync(page, "overview-01-live");
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
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync("http://shop/", ct);
                await Task.Delay(20, ct);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Only what the page shows is asserted.
            }
        }
    }
}
