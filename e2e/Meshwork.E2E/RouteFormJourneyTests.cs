using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// The route form over a real mesh (portal, control plane, a shop backend behind its sidecar and a
/// caller's sidecar): an Operator adds a fault-injection abort to the shop's route in Chromium, reviews
/// the changed fields and the proxies they reach, applies it, sees every affected proxy ACK it, and the
/// caller's real requests to the shop are then answered by the injected status instead of the shop.
/// </summary>
public sealed class RouteFormJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminEmail = "admin@meshwork.e2e";
    private const string AdminPassword = "E2e-Admin-Passw0rd!";
    private const int InjectedStatus = 418;
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    private static readonly float WaitMs = (float)Converge.TotalMilliseconds;

    private readonly string screenshots = Environment.GetEnvironmentVariable("MESHWORK_E2E_SCREENSHOTS")
        ?? Path.Combine(Path.GetTempPath(), "meshwork-e2e-screenshots");
    private readonly List<IAsyncDisposable> running = [];
    private MeshworkProcess? portal;
    private MeshworkProcess? controlPlane;
    private MeshProxy? caller;
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        var connectionString = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync();
        var grpcPort = MeshworkProcess.FreePort();
        var trustBundle = Path.Combine(Path.GetTempPath(), $"meshwork-e2e-{Guid.NewGuid():N}-trust-bundle.pem");
        portal = await MeshworkProcess.StartPortalAsync(connectionString, AdminEmail, AdminPassword, $"https://127.0.0.1:{grpcPort}", trustBundle);
        running.Add(portal);
        await SeedAsync(connectionString);
        controlPlane = await MeshworkProcess.StartControlPlaneAsync(connectionString, grpcPort, trustBundle);
        running.Add(controlPlane);

        string token;
        await using (var db = MigratedDatabase.OpenContext(connectionString))
            token = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("e2e-form", "*", "default", TimeSpan.FromHours(1), "e2e", allowWildcard: true)).Secret;
        var backend = await DemoBackendProcess.StartAsync("shop", "v1", "shop-v1-a");
        running.Add(backend);
        running.Add(await MeshProxy.StartAsync([controlPlane.Url], trustBundle, token, "shop-v1-1", "shop", "v1", backend.Address));
        caller = await MeshProxy.StartAsync([controlPlane.Url], trustBundle, token, "web-1", "web", "v1", appAddress: null);
        running.Add(caller);

        playwright = await Playwright.CreateAsync();
        browser = await Chromium.LaunchAsync(playwright);
        Directory.CreateDirectory(screenshots);
    }

    private static async Task SeedAsync(string connectionString)
    {
        await using var db = MigratedDatabase.OpenContext(connectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var actor = new ChangeActor("e2e-seed", ChangeSource.Api);
        Resource[] resources =
        [
            new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] },
            new Service { Metadata = new ResourceMetadata { Name = "shop" }, Versions = [new ServiceVersion { Name = "v1" }] },
            new HttpRoute
            {
                Metadata = new ResourceMetadata { Name = "shop" },
                ParentRefs = [new ParentRef { Name = "shop" }],
                Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "shop", Version = "v1" }] }],
            },
        ];
        foreach (var resource in resources)
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(resource, actor));
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        for (var i = running.Count - 1; i >= 0; i--) await running[i].DisposeAsync();
    }

    private async Task<int> StatusOfShopAsync()
    {
        using var client = caller!.OutboundClient();
        try
        {
            using var response = await client.GetAsync("http://shop/");
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task Operator_AddsAnAbortInTheRouteForm_TheCallersRequestsGetTheInjectedStatus()
    {
        await Eventually.HoldsAsync(async () => await StatusOfShopAsync() == 200, "shop answers 200 through the caller", Converge);
        var context = await browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        try
        {
            await page.GotoAsync(portal!.Url + "/traffic/routes/default/shop");
            await page.FillAsync("#email", AdminEmail);
            await page.FillAsync("#password", AdminPassword);
            await page.ClickAsync("button[type=submit]");
            await page.Locator("[data-interactive=true]").WaitForAsync();

            await page.ClickAsync("[data-testid=rule-0] [data-testid=add-abort]");
            var status = page.Locator("[data-field='rules[0].fault.abort.httpStatus'] input");
            // A status outside 200-599 is marked on its field by the shared validator, and Review stays off.
            await status.FillAsync("700");
            await Assertions.Expect(page.Locator("[data-field='rules[0].fault.abort.httpStatus']")).ToContainTextAsync("must be an HTTP status between 200 and 599", new() { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=form-review]")).ToBeDisabledAsync();
            await status.FillAsync(InjectedStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Assertions.Expect(page.Locator("[data-testid=form-review]")).ToBeEnabledAsync(new() { Timeout = WaitMs });

            await page.ClickAsync("[data-testid=form-review]");
            var rows = page.Locator("[data-testid=diff-row]");
            await Assertions.Expect(rows).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("[data-testid=diff-row][data-path='rules[0].fault.abort.httpStatus']")).ToContainTextAsync($"{InjectedStatus}");
            await Assertions.Expect(page.Locator("[data-testid=reached-proxy]")).ToHaveCountAsync(2, new() { Timeout = WaitMs }); // shop's and web's sidecars
            await ScreenshotAsync(page, "route-form-01-review");

            await page.ClickAsync("[data-testid=form-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied default/shop");
            var sync = page.Locator("[data-testid=form-sync] [data-testid=sync-progress]");
            await Assertions.Expect(sync).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = WaitMs });

            await Eventually.HoldsAsync(async () => await StatusOfShopAsync() == InjectedStatus, $"the caller's requests to shop answered {InjectedStatus} by the injected abort", Converge);
            for (var i = 0; i < 20; i++)
                Assert.Equal(InjectedStatus, await StatusOfShopAsync());
            await ScreenshotAsync(page, "route-form-02-applied");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            await ScreenshotAsync(page, "route-form-failure");
            output.WriteLine($"portal log {portal!.LogPath}, control plane log {controlPlane!.LogPath}");
            throw new InvalidOperationException($"journey failed: {e.Message}\nscreenshot {Path.Combine(screenshots, "route-form-failure.png")}", e);
        }
    }

    private async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, name + ".png"), FullPage = true });
}
