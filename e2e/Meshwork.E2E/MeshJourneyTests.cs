using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// The headline journey over a real mesh: portal and control plane processes on real PostgreSQL, two
/// versions of a demo service behind their sidecars, and a caller's sidecar. In Chromium an Operator
/// drags the canary slider with the mouse; the test counts real requests through the caller's sidecar
/// and checks they follow the split, that the page showed every affected proxy ACK the change and the
/// observed split follow it, that the topology graph draws the split (and follows the rollback without a
/// reload), and that "Send all to stable" takes every request back. On the same mesh an Admin tries a DENY
/// on the access matrix, applies it, and the callee's sidecar answers 403.
/// </summary>
public sealed class MeshJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminEmail = DemoMesh.AdminEmail;
    private static readonly TimeSpan Converge = DemoMesh.Converge;
    private static readonly float WaitMs = DemoMesh.WaitMs;

    private DemoMesh? mesh;
    private MeshProxy? caller;

    /// <summary>The demo shop as an operator would have set it up: every request to v1, v2 deployed at 0 %.</summary>
    public async Task InitializeAsync()
    {
        mesh = await DemoMesh.StartAsync(
        [
            new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] },
            new Service { Metadata = new ResourceMetadata { Name = "shop" }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] },
            new HttpRoute
            {
                Metadata = new ResourceMetadata { Name = "shop" },
                ParentRefs = [new ParentRef { Name = "shop" }],
                Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "shop", Version = "v1", Weight = 100 }, new BackendRef { Service = "shop", Version = "v2", Weight = 0 }] }],
            },
        ], "v1", "v2");
        caller = mesh.Caller;
    }

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }

    /// <summary>Which version answered each of <paramref name="count"/> requests to http://shop/ through the caller's sidecar.</summary>
    private async Task<Dictionary<string, int>> CountVersionsAsync(int count)
    {
        using var client = caller!.OutboundClient();
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var servedBy = await ServedByAsync(client);
            counts[servedBy] = counts.GetValueOrDefault(servedBy) + 1;
        }
        return counts;
    }

    /// <summary>The instance that answered (x-served-by), or what went wrong.</summary>
    private static async Task<string> ServedByAsync(HttpClient client)
    {
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

    /// <summary>Requests through the caller until the journey ends, so the page has live traffic to observe.</summary>
    private async Task BackgroundTrafficAsync(CancellationToken ct)
    {
        using var client = caller!.OutboundClient();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync("http://shop/", ct);
                await Task.Delay(20, ct);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Counted requests are asserted separately; this loop only feeds the observed split.
            }
        }
    }

    /// <summary>A cell such as "40%" as 40; null while it says something else ("no traffic").</summary>
    private static async Task<int?> ReadPercentAsync(ILocator cell) =>
        int.TryParse((await cell.InnerTextAsync()).Trim().TrimEnd('%'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var percent) ? percent : null;

    private static async Task<int> PercentAsync(ILocator cell) =>
        await ReadPercentAsync(cell) ?? throw new InvalidOperationException($"{cell} shows no percentage: {await cell.InnerTextAsync()}");

    /// <summary>
    /// The element's box once it stops moving: the table reflows while live values (observed shares, bars) arrive,
    /// and a drag aimed with a box read before a reflow lands elsewhere on the track (a loaded run released at 8%).
    /// </summary>
    private static async Task<LocatorBoundingBoxResult> SettledBoxAsync(ILocator element)
    {
        var box = (await element.BoundingBoxAsync())!;
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(100);
            var again = (await element.BoundingBoxAsync())!;
            if ((again.X, again.Y, again.Width, again.Height) == (box.X, box.Y, box.Width, box.Height))
                return again;
            box = again;
        }
        return box;
    }

    [Fact]
    public async Task Operator_DragsTheCanarySlider_RealTrafficFollows_ThenSendsAllToStable()
    {
        // Before: the mesh serves everything from v1 (also waits until both versions are endpoints).
        await Eventually.HoldsAsync(async () => (await CountVersionsAsync(10)).GetValueOrDefault("shop-v1-a") == 10, "shop served by v1 through the caller", Converge);

        var (page, consoleErrors) = await NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = BackgroundTrafficAsync(traffic.Token);
        try
        {
            // From the service list to the service's page, where the routes splitting its traffic have their sliders.
            await SignInAsync(page, "/services");
            await page.ClickAsync("[data-testid=open-service-shop]");
            var split = page.Locator("[data-testid=route-split-shop]");
            await Assertions.Expect(split.Locator("[data-testid=desired-0-1]")).ToHaveTextAsync("0%");
            await Assertions.Expect(split.Locator("[data-testid=observed-0-0]")).ToHaveTextAsync("100%", new() { Timeout = WaitMs });

            // Drag the v2 thumb from 0 % to the middle of the track with the mouse, and let go.
            var slider = split.Locator("[data-testid=slider-0-1]");
            var box = await SettledBoxAsync(slider);
            var y = box.Y + box.Height / 2;
            await page.Mouse.MoveAsync(box.X + 8, y);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + box.Width / 2, y, new MouseMoveOptions { Steps = 12 });
            var duringDrag = await PercentAsync(split.Locator("[data-testid=desired-0-1]"));
            await page.Mouse.UpAsync();

            await Assertions.Expect(split.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied shop v1");
            var canary = await PercentAsync(split.Locator("[data-testid=desired-0-1]"));
            output.WriteLine($"slider released at v2 {canary}% (showed {duringDrag}% while dragging)");
            Assert.InRange(canary, 30, 70);
            Assert.Equal(100 - canary, await PercentAsync(split.Locator("[data-testid=desired-0-0]")));
            // The page follows the change to every affected proxy's ACK before anyone counts traffic.
            await Assertions.Expect(split.Locator("[data-testid=sync-progress]")).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = WaitMs });
            await Assertions.Expect(split.Locator("[data-testid=sync-progress]")).ToContainTextAsync("affected prox");
            await ScreenshotAsync(page, "canary-01-released");

            // Real requests follow the split: 400 requests, v2's share within 4 standard deviations (at most 10 points).
            var counts = await CountVersionsAsync(400);
            output.WriteLine("after release: " + string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
            Assert.Equal(400, counts.GetValueOrDefault("shop-v1-a") + counts.GetValueOrDefault("shop-v2-a"));
            Assert.InRange(counts.GetValueOrDefault("shop-v2-a") / 400.0, canary / 100.0 - 0.1, canary / 100.0 + 0.1);

            // The observed split on the page follows within its 10 s window.
            await Eventually.HoldsAsync(async () => await ReadPercentAsync(split.Locator("[data-testid=observed-0-1]")) is { } observed && Math.Abs(observed - canary) <= 15,
                "observed v2 share near the desired one", Converge);
            await ScreenshotAsync(page, "canary-02-observed");

            // The topology graph draws the split: both versions inside shop, each edge with its share; a click opens the side panel.
            await page.ClickAsync("a.mud-nav-link:has-text('Topology')");
            var graph = page.Locator("[data-testid=topology-graph]");
            await Assertions.Expect(graph).ToHaveAttributeAsync("data-ready", "true");
            await Eventually.HoldsAsync(async () => (await EdgeLabelsAsync(page)).Count(l => l.Contains("of split")) == 2, "both split edges drawn with their share", Converge);
            await Task.Delay(1000); // the first layout settles before a node is clicked by position
            await ClickNodeAsync(page, "ver:default/shop/v2");
            await Assertions.Expect(page.Locator("[data-testid=topology-panel-title]")).ToHaveTextAsync("shop v2 (default)");
            await Assertions.Expect(page.Locator("[data-testid=topology-panel-instance]")).ToContainTextAsync("shop-v2-1");
            await ScreenshotAsync(page, "canary-03-topology");

            // Rollback in one click, from the route's own page: every request back on v1 once the proxies ACKed.
            await page.GoBackAsync();
            await split.GetByRole(AriaRole.Link, new() { Name = "HttpRoute default/shop" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/traffic/routes/default/shop$"));
            // The URL changes before the server renders the new page, and the service page it leaves has the same
            // split editor (same test ids): wait for the route page's own heading so the click reaches its button.
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "HttpRoute default/shop", Level = 4 })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid=desired-0-1]")).ToHaveTextAsync($"{canary}%");
            await page.ClickAsync("[data-testid=send-all-to-stable-0]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied shop v1 100% / shop v2 0%");
            await Assertions.Expect(page.Locator("[data-testid=sync-progress]")).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = WaitMs });
            var after = await CountVersionsAsync(100);
            Assert.Equal(100, after.GetValueOrDefault("shop-v1-a"));

            // Without a reload the graph follows: once v2's traffic left the 10 s window, v1's edge carries the whole split.
            await page.ClickAsync("a.mud-nav-link:has-text('Topology')");
            await Assertions.Expect(graph).ToHaveAttributeAsync("data-ready", "true");
            await Eventually.HoldsAsync(async () =>
                (await EdgeLabelsAsync(page)).FirstOrDefault(l => l.StartsWith("edge:default/web/v1->default/shop/v1|", StringComparison.Ordinal)) is { } v1
                && (!v1.Contains("of split") || v1.Contains("100% of split")), "v1's edge carries every request", Converge);

            // Both releases are audited changes by the person, from the portal.
            await page.ClickAsync("a.mud-nav-link:has-text('Audit')");
            var entries = page.Locator("[data-testid=audit-table] tbody tr", new PageLocatorOptions { HasText = "HttpRoute/default/shop" }).Filter(new() { HasText = AdminEmail });
            await Assertions.Expect(entries).ToHaveCountAsync(2);
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh!.JourneyFailedAsync(page, "canary", e, $"caller sidecar: {caller!.Output}");
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }

    [Fact]
    public async Task Admin_TriesADenyOnTheAccessMatrix_AppliesIt_AndTheMeshAnswers403()
    {
        await Eventually.HoldsAsync(async () => (await CountVersionsAsync(10)).GetValueOrDefault("shop-v1-a") == 10, "shop served by v1 through the caller", Converge);
        var (page, consoleErrors) = await NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = BackgroundTrafficAsync(traffic.Token);
        using var client = caller!.OutboundClient();
        try
        {
            // The matrix: web may call shop by the mesh default, and does (the caller's traffic is observed).
            await SignInAsync(page, "/access");
            var cell = page.Locator("[data-testid=cell-default-web--default-shop]");
            await Assertions.Expect(cell).ToHaveAttributeAsync("data-verdict", "DefaultAllowed");
            await Assertions.Expect(cell).ToContainTextAsync("●", new() { Timeout = WaitMs });

            // A pending DENY of DELETE from web: the cell turns partial and is marked changed; the GETs seen stay allowed.
            await page.FillAsync("textarea[data-testid=access-pending]",
                "kind: AccessPolicy\nmetadata:\n  name: shop-no-deletes\nservice: shop\naction: deny\nrules:\n  - from:\n      - services: [web]\n    to:\n      - methods: [DELETE]\n");
            await Assertions.Expect(cell).ToHaveAttributeAsync("data-verdict", "Partial");
            await Assertions.Expect(cell).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("changed"));
            await Assertions.Expect(cell).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("DELETE / denied by 'shop-no-deletes'"));
            await Assertions.Expect(page.Locator("[data-testid=access-would-deny]")).ToContainTextAsync("denies none of the calls");
            using (var before = await client.DeleteAsync("http://shop/"))
                Assert.NotEqual(System.Net.HttpStatusCode.Forbidden, before.StatusCode); // trying it changed nothing
            await ScreenshotAsync(page, "access-01-pending");

            await page.ClickAsync("[data-testid=access-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied AccessPolicy/default/shop-no-deletes");
            await Assertions.Expect(cell).ToHaveAttributeAsync("data-verdict", "Partial");
            await Assertions.Expect(page.Locator("tbody tr", new() { HasText = "shop-no-deletes" })).ToHaveCountAsync(1); // the policy list below reloaded
            // The page follows the policy to the shop's sidecars' ACKs.
            var sync = page.Locator("[data-testid=access-matrix-sync] [data-testid=sync-progress]");
            await Assertions.Expect(sync).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = WaitMs });
            await Assertions.Expect(sync).ToContainTextAsync("affected prox");

            // The shop's sidecar enforces it: DELETE from web answered 403, GET still served.
            await Eventually.HoldsAsync(async () =>
            {
                using var response = await client.DeleteAsync("http://shop/");
                return response.StatusCode == System.Net.HttpStatusCode.Forbidden;
            }, "DELETE from web refused with 403", Converge);
            using (var get = await client.GetAsync("http://shop/"))
                Assert.Equal(System.Net.HttpStatusCode.OK, get.StatusCode);
            await ScreenshotAsync(page, "access-02-applied");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh!.JourneyFailedAsync(page, "access", e);
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }

    [Fact]
    public async Task Admin_WatchesTheTopology_AnInstanceStops_TheGraphFollowsWithoutAReload()
    {
        await Eventually.HoldsAsync(async () => (await CountVersionsAsync(10)).GetValueOrDefault("shop-v1-a") == 10, "shop served by v1 through the caller", Converge);
        var (page, consoleErrors) = await NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = BackgroundTrafficAsync(traffic.Token);
        try
        {
            await SignInAsync(page, "/topology");
            var graph = page.Locator("[data-testid=topology-graph]");
            await Assertions.Expect(graph).ToHaveAttributeAsync("data-ready", "true", new() { Timeout = WaitMs });
            await Eventually.HoldsAsync(async () => await NodeLabelAsync(page, "ver:default/shop/v1") == "v1 · 1/1 up", "shop v1 drawn with its one instance up", Converge);
            await Assertions.Expect(graph).ToHaveAttributeAsync("data-stale", "false", new() { Timeout = WaitMs });
            await Assertions.Expect(page.Locator("[data-testid=topology-stale]")).ToBeHiddenAsync();
            await page.EvaluateAsync("() => window.meshworkNotReloaded = true");
            await ScreenshotAsync(page, "topology-01-running");

            // shop v1's sidecar stops (SIGTERM: it says Goodbye and leaves the registry): the hub's next delta draws the node without it, no reload.
            Assert.Equal(0, await mesh!.Sidecar("shop-v1-1").TerminateAsync());
            await Eventually.HoldsAsync(async () => await NodeLabelAsync(page, "ver:default/shop/v1") == "v1 · 0/0 up", "shop v1 drawn with no instance", Converge);
            Assert.True(await page.EvaluateAsync<bool>("() => window.meshworkNotReloaded === true"), "the page was reloaded");
            await ScreenshotAsync(page, "topology-02-instance-stopped");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh!.JourneyFailedAsync(page, "topology", e);
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }

    /// <summary>The label the graph draws on a node (null while it has no such node).</summary>
    private static async Task<string?> NodeLabelAsync(IPage page, string id) =>
        await page.EvaluateAsync<string?>("id => { const g = document.querySelector('[data-testid=topology-graph]').meshworkGraph; return g?.cy.getElementById(id).nonempty() ? g.labelOf(id) : null; }", id);

    private Task<(IPage Page, List<string> ConsoleErrors)> NewPageAsync() => mesh!.NewPageAsync();

    private Task SignInAsync(IPage page, string path) => mesh!.SignInAsync(page, path);

    /// <summary>"id|label" of every edge the graph draws, read from the Cytoscape instance the page's script keeps.</summary>
    private static async Task<string[]> EdgeLabelsAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("() => { const g = document.querySelector('[data-testid=topology-graph]').meshworkGraph; return g?.cy.edges().map(e => e.id() + '|' + g.labelOf(e.id())) ?? []; }");

    /// <summary>Clicks a graph node with the mouse where Cytoscape drew it.</summary>
    private static async Task ClickNodeAsync(IPage page, string id)
    {
        var at = await page.EvaluateAsync<double[]>(
            "id => { const g = document.querySelector('[data-testid=topology-graph]'); const p = g.meshworkGraph.cy.getElementById(id).renderedPosition(); const r = g.getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }", id);
        await page.Mouse.ClickAsync((float)at[0], (float)at[1]);
    }

    private Task ScreenshotAsync(IPage page, string name) => mesh!.ScreenshotAsync(page, name);
}
