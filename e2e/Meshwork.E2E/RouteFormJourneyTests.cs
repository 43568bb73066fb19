using Meshwork.Model.Resources;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// The route form over a real mesh (portal, control plane, a shop backend behind its sidecar and a
/// caller's sidecar): an Operator adds a fault-injection abort to the shop's route in Chromium, reviews
/// the changed fields and the proxies they reach, applies it, sees every affected proxy ACK it, and the
/// caller's real requests to the shop are then answered by the injected status instead of the shop;
/// then drags a new catch-all rule above the aborting one and the shop answers again.
/// </summary>
public sealed class RouteFormJourneyTests : IAsyncLifetime
{
    private const int InjectedStatus = 418;

    private DemoMesh? mesh;

    public async Task InitializeAsync() => mesh = await DemoMesh.StartAsync(
    [
        new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] },
        new Service { Metadata = new ResourceMetadata { Name = "shop" }, Versions = [new ServiceVersion { Name = "v1" }] },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Name = "shop" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "shop", Version = "v1" }] }],
        },
    ], "v1");

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }

    private async Task<int> StatusOfShopAsync()
    {
        using var client = mesh!.Caller.OutboundClient();
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
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        await Eventually.HoldsAsync(async () => await StatusOfShopAsync() == 200, "shop answers 200 through the caller", DemoMesh.Converge);
        try
        {
            await mesh.SignInAsync(page, "/traffic/routes/default/shop");

            await page.ClickAsync("[data-testid=rule-0] [data-testid=add-abort]");
            var status = page.Locator("[data-field='rules[0].fault.abort.httpStatus'] input");
            // A status outside 200-599 is marked on its field by the shared validator, and Review stays off.
            await status.FillAsync("700");
            await Assertions.Expect(page.Locator("[data-field='rules[0].fault.abort.httpStatus']")).ToContainTextAsync("must be an HTTP status between 200 and 599", new() { Timeout = DemoMesh.WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=form-review]")).ToBeDisabledAsync();
            await status.FillAsync(InjectedStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Assertions.Expect(page.Locator("[data-testid=form-review]")).ToBeEnabledAsync(new() { Timeout = DemoMesh.WaitMs });

            await page.ClickAsync("[data-testid=form-review]");
            var rows = page.Locator("[data-testid=diff-row]");
            await Assertions.Expect(rows).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("[data-testid=diff-row][data-path='rules[0].fault.abort.httpStatus']")).ToContainTextAsync($"{InjectedStatus}");
            await Assertions.Expect(page.Locator("[data-testid=reached-proxy]")).ToHaveCountAsync(2, new() { Timeout = DemoMesh.WaitMs }); // shop's and web's sidecars
            await mesh.ScreenshotAsync(page, "route-form-01-review");

            await page.ClickAsync("[data-testid=form-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied default/shop");
            var sync = page.Locator("[data-testid=form-sync] [data-testid=sync-progress]");
            await Assertions.Expect(sync).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = DemoMesh.WaitMs });

            await Eventually.HoldsAsync(async () => await StatusOfShopAsync() == InjectedStatus, $"the caller's requests to shop answered {InjectedStatus} by the injected abort", DemoMesh.Converge);
            for (var i = 0; i < 20; i++)
                Assert.Equal(InjectedStatus, await StatusOfShopAsync());
            await mesh.ScreenshotAsync(page, "route-form-02-applied");

            // Order decides between equally specific rules: a second catch-all rule to the shop, dragged by its
            // handle above the aborting one, takes every request, and the caller gets the shop's 200s again.
            await page.ClickAsync("[data-testid=add-rule]");
            await Assertions.Expect(page.Locator("[data-testid=rule-1]")).ToBeVisibleAsync();
            await page.Locator("[data-testid=rule-drag-1]").DragToAsync(page.Locator("[data-testid=rule-drag-0]"));
            await Assertions.Expect(page.Locator("[data-testid=rule-0] [data-testid=add-abort]")).ToBeVisibleAsync(); // the new rule, without a fault, is first
            await Assertions.Expect(page.Locator("[data-testid=rule-1] [data-testid=add-abort]")).ToHaveCountAsync(0);
            await page.ClickAsync("[data-testid=form-review]");
            await page.ClickAsync("[data-testid=form-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied default/shop");
            await Eventually.HoldsAsync(async () => await StatusOfShopAsync() == 200, "the caller's requests to shop answered 200 by the rule dragged first", DemoMesh.Converge);
            for (var i = 0; i < 20; i++)
                Assert.Equal(200, await StatusOfShopAsync());
            await mesh.ScreenshotAsync(page, "route-form-03-reordered");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh.JourneyFailedAsync(page, "route-form", e);
        }
    }
}
