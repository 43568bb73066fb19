using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>
/// The Fleet page deploys: the portal runs with Portal:Fleet pointing at the proxy and demo apps built
/// beside this project; in Chromium the admin opens "Deploy version", deploys shop v2 (one instance), and
/// sees the instance running in the deployments table and its sidecar joined in the proxies table.
/// The portal's process tree (its fleet included) is killed when the mesh is disposed.
/// </summary>
public sealed class FleetJourneyTests : IAsyncLifetime
{
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
    public async Task Admin_DeploysAVersionFromTheFleetPage_AndSeesItRunAndJoin()
    {
        var (page, _) = await mesh!.NewPageAsync();
        try
        {
            await mesh.SignInAsync(page, "/fleet");
            await page.ClickAsync("[data-testid=deploy-version]");
            var dialog = page.Locator("[data-testid=deploy-dialog]");
            await dialog.Locator("input[data-testid=deploy-service]").FillAsync("shop");
            await dialog.Locator("input[data-testid=deploy-version-name]").FillAsync("v2");
            await page.ClickAsync("[data-testid=deploy-submit]");

            var row = page.Locator("[data-testid=deployment-row][data-instance=shop-v2-1]");
            await Assertions.Expect(row.Locator("[data-testid=deployment-state]")).ToHaveTextAsync("running", new() { Timeout = 2 * DemoMesh.WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=proxies-table]")).ToContainTextAsync("sidecar-shop-v2-1", new() { Timeout = DemoMesh.WaitMs });
            await mesh.ScreenshotAsync(page, "fleet-deployed");
        }
        catch (Exception failure) when (failure is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            throw await mesh.JourneyFailedAsync(page, "fleet", failure);
        }
    }
}
