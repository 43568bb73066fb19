using Meshwork.Model.Resources;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// Arriving from Istio over a real mesh (portal, control plane, shop v1 and v2 behind their sidecars, a
/// caller's sidecar) whose route sends everything to v1: in Chromium the admin pastes an Istio VirtualService
/// with a 90/10 split on the Import page, previews the update it makes to the route (with its diff) and the
/// ResiliencePolicy holding Istio's default retries, applies
/// it, opens the route editor from the result and sees the 90/10 split there, exports the route as a Gateway API
/// HTTPRoute and downloads it; the caller's real requests then reach v2, which they never did before.
/// </summary>
public sealed class ImportJourneyTests : IAsyncLifetime
{
    private const string VirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: shop
        spec:
          hosts:
          - shop
          http:
          - route:
            - destination:
                host: shop
                subset: v1
              weight: 90
            - destination:
                host: shop
                subset: v2
              weight: 10
        """;

    private DemoMesh? mesh;

    /// <summary>The shop deployed in two versions, every request to v1.</summary>
    public async Task InitializeAsync() => mesh = await DemoMesh.StartAsync(DemoMesh.ShopOnV1WithV2Idle(), "v1", "v2");

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }

    private async Task<string> ServedByAsync()
    {
        using var client = mesh!.Caller.OutboundClient();
        try
        {
            using var response = await client.GetAsync("http://shop/");
            return response.IsSuccessStatusCode && response.Headers.TryGetValues("x-served-by", out var values) ? values.First() : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return e.GetBaseException().Message;
        }
    }

    [Fact]
    public async Task Admin_ImportsAnIstioSplit_PreviewsTheUpdate_AppliesIt_AndSeesNinetyTenInTheRouteEditor()
    {
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        await Eventually.HoldsAsync(async () => (await ServedByAsync()).StartsWith("shop-v1", StringComparison.Ordinal), "shop v1 answers through the caller", DemoMesh.Converge);
        for (var i = 0; i < 20; i++)
            Assert.StartsWith("shop-v1", await ServedByAsync(), StringComparison.Ordinal);
        try
        {
            await mesh.SignInAsync(page, "/import");

            await page.Locator("textarea[data-testid=import-yaml]").FillAsync(VirtualService);
            await Assertions.Expect(page.Locator("[data-testid=import-source]")).ToContainTextAsync("pasted");
            await page.ClickAsync("[data-testid=import-preview]");
            var change = page.Locator("[data-testid=import-change-HttpRoute-default-shop]");
            await Assertions.Expect(change.Locator("[data-testid=import-action]")).ToHaveTextAsync("update", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(change.Locator("[data-testid=diff-view]")).ToContainTextAsync("\"weight\": 90");
            // Istio retries every route by default (2 attempts): the importer keeps that as the shop's ResiliencePolicy.
            await Assertions.Expect(page.Locator("[data-testid=import-change-ResiliencePolicy-default-shop] [data-testid=import-action]")).ToHaveTextAsync("create");
            await mesh.ScreenshotAsync(page, "import-01-preview");

            await page.ClickAsync("[data-testid=import-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Imported 2 resource(s) from pasted", new() { Timeout = DemoMesh.WaitMs });
            await mesh.ScreenshotAsync(page, "import-02-applied");

            await page.ClickAsync("[data-testid=import-open-shop]");
            await page.WaitForURLAsync("**/traffic/routes/default/shop");
            await Assertions.Expect(page.Locator("[data-testid=desired-0-0]")).ToHaveTextAsync("90%", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=desired-0-1]")).ToHaveTextAsync("10%");
            await Assertions.Expect(page.Locator("[data-testid=backend-0-0]")).ToContainTextAsync("v1");
            await Assertions.Expect(page.Locator("[data-testid=backend-0-1]")).ToContainTextAsync("v2");
            await mesh.ScreenshotAsync(page, "import-03-route-editor");

            // Leaving is as easy: the imported route exported as a Gateway API HTTPRoute, with what Gateway API cannot
            // say (its backends' versions), and downloaded through the browser's session as the same text.
            await page.ClickAsync("[data-testid=export-menu] button");
            await page.ClickAsync("[data-testid=export-gateway-api]");
            var exported = page.Locator("[data-testid=export-yaml]");
            await Assertions.Expect(exported).ToContainTextAsync("kind: HTTPRoute", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(exported).ToContainTextAsync("weight: 90");
            await Assertions.Expect(page.Locator("[data-testid=export-messages]")).ToContainTextAsync("rules[0].backendRefs[0].version");
            await mesh.ScreenshotAsync(page, "import-04-export");
            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=export-download]"));
            Assert.Equal("shop.httproute.gateway-api.yaml", download.SuggestedFilename);
            Assert.Equal((await exported.InnerTextAsync()).Trim(), (await File.ReadAllTextAsync(await download.PathAsync())).Trim());

            // The imported split is live: the caller's requests reach the 10 % version too.
            await Eventually.HoldsAsync(async () => (await ServedByAsync()).StartsWith("shop-v2", StringComparison.Ordinal),
                "a request through the caller served by shop v2", DemoMesh.Converge);
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh.JourneyFailedAsync(page, "import", e);
        }
    }
}
