using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The canary sliders over the real store: dragging previews the rebalanced split, releasing stores it
/// as one audited change, a concurrent change by someone else is shown and never overwritten, and the
/// observed split and ACK progress come from the control plane's live status.
/// </summary>
public sealed class CanarySplitEditorTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<ResourceKey> SeedRouteAsync(string name, params (string Version, int Weight)[] backends)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
        var service = await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", name));
        if (service is null)
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service(name, versions: [.. backends.Select(b => b.Version)]), actor));
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = name },
            ParentRefs = [new ParentRef { Name = name }],
            Rules = [new HttpRouteRule { BackendRefs = [.. backends.Select(b => new BackendRef { Service = name, Version = b.Version, Weight = b.Weight })] }],
        };
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(route, actor));
        return route.Key;
    }

    private async Task<(int[] Weights, StoredResource Stored)> StoredAsync(ResourceKey key)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(key);
        return ([.. ((HttpRoute)stored!.Resource).Rules[0].BackendRefs.Select(b => b.Weight)], stored);
    }

    /// <summary>A component under the providers MudBlazor needs (one set per context).</summary>
    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderWithProviders<TComponent>(BunitContext context,
        params (string Name, object Value)[] parameters) where TComponent : Microsoft.AspNetCore.Components.IComponent =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudSnackbarProvider>(1);
            b.CloseComponent();
            b.OpenComponent<TComponent>(2);
            foreach (var (name, value) in parameters)
                b.AddAttribute(3, name, value);
            b.CloseComponent();
        });

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Render(BunitContext context, ResourceKey key) =>
        RenderWithProviders<CanarySplitEditor>(context, (nameof(CanarySplitEditor.RouteKey), key));

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderServicePage(BunitContext context, string service) =>
        RenderWithProviders<Meshwork.Portal.Components.Pages.ServiceDetail>(context,
            (nameof(Meshwork.Portal.Components.Pages.ServiceDetail.Namespace), "default"), (nameof(Meshwork.Portal.Components.Pages.ServiceDetail.Name), service));

    private static string Text(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string testId) =>
        page.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public async Task Drag_PreviewsTheRebalancedSplit_Release_StoresItAsOneAuditedChange()
    {
        var key = await SeedRouteAsync("split-drag", ("v1", 90), ("v2", 10));
        var (_, before) = await StoredAsync(key);
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("10%", Text(page, "desired-0-1")), TimeSpan.FromSeconds(10));

        // bUnit's Input() does not wait for the event: while the renderer is busy (a live-status re-render of this
        // page, which arrives on its own thread) the input is dispatched after it, so the preview is waited for.
        page.Find("[data-testid=slider-0-1]").Input("25");
        page.WaitForAssertion(() =>
        {
            Assert.Equal("75%", Text(page, "desired-0-0"));
            Assert.Equal("25%", Text(page, "desired-0-1"));
        }, TimeSpan.FromSeconds(10));
        var whileDragging = (await StoredAsync(key)).Weights;
        Assert.Equal(new[] { 90, 10 }, whileDragging); // dragging stores nothing

        page.Find("[data-testid=slider-0-1]").Change("30");
        page.WaitForAssertion(() => Assert.Contains("Applied split-drag v1 70% / split-drag v2 30%", Text(page, "outcome")), TimeSpan.FromSeconds(10));
        var (weights, after) = await StoredAsync(key);
        Assert.Equal([70, 30], weights);
        Assert.Equal(before.Resource.Metadata.Version + 1, after.Resource.Metadata.Version);
        Assert.Equal(PortalFactory.AdminEmail, after.UpdatedBy);

        await using var scope = portal.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Name = "split-drag" });
        var release = Assert.Single(audit, a => a.Actor == PortalFactory.AdminEmail);
        Assert.Equal(ChangeSource.Portal, release.Source);
        Assert.Contains("\"weight\":30", release.AfterJson);
        // With no proxy connected, the progress line says where the change stands instead of spinning.
        Assert.Contains("No proxy is connected", Text(page, "sync-progress"));
    }

    [Fact]
    public async Task Release_AfterSomeoneElseChangedTheRoute_ShowsTheirSplit_AndOverwritesNothing()
    {
        var key = await SeedRouteAsync("split-conflict", ("v1", 90), ("v2", 10));
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("10%", Text(page, "desired-0-1")), TimeSpan.FromSeconds(10));

        // Another operator moves the split to 50/50 while this page still shows 90/10.
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var route = (HttpRoute)(await store.GetAsync(key))!.Resource;
            var rule = route.Rules[0] with { BackendRefs = [.. route.Rules[0].BackendRefs.Select(b => b with { Weight = 50 })] };
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(route with { Rules = [rule] }, new ChangeActor("olga@meshwork.test", ChangeSource.Portal)));
        }

        page.Find("[data-testid=slider-0-1]").Change("40");
        page.WaitForAssertion(() =>
        {
            var outcome = Text(page, "outcome");
            Assert.Contains("was changed by olga@meshwork.test", outcome);
            Assert.Contains("split-conflict v1 60% / split-conflict v2 40% was not saved", outcome);
            Assert.Equal("50%", Text(page, "desired-0-1"));
        }, TimeSpan.FromSeconds(10));
        var weights = (await StoredAsync(key)).Weights;
        Assert.Equal(new[] { 50, 50 }, weights);
    }

    [Fact]
    public async Task SendAllToStable_StoresEverythingOnTheFirstBackend()
    {
        var key = await SeedRouteAsync("split-rollback", ("v1", 50), ("v2", 30), ("v3", 20));
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("20%", Text(page, "desired-0-2")), TimeSpan.FromSeconds(10));

        page.Find("button[data-testid=send-all-to-stable-0]").Click();
        // The sliders show 100% as soon as the click lands; the store is read once the outcome says it was written.
        page.WaitForAssertion(() => Assert.Contains("Applied split-rollback v1 100%", Text(page, "outcome")), TimeSpan.FromSeconds(10));
        Assert.Equal("100%", Text(page, "desired-0-0"));
        var weights = (await StoredAsync(key)).Weights;
        Assert.Equal(new[] { 100, 0, 0 }, weights);
        page.WaitForAssertion(() => Assert.True(page.Find("button[data-testid=send-all-to-stable-0]").HasAttribute("disabled")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task LockedBackend_KeepsItsShare_WhileAnotherMoves()
    {
        var key = await SeedRouteAsync("split-lock", ("v1", 60), ("v2", 30), ("v3", 10));
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("10%", Text(page, "desired-0-2")), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=lock-0-2] button, button[data-testid=lock-0-2]").Click();
        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=slider-0-2]").HasAttribute("disabled")), TimeSpan.FromSeconds(5));
        page.Find("[data-testid=slider-0-1]").Change("50");
        // The store is read after the outcome, never inside WaitForAssertion: blocking on a query there can starve
        // xunit's two-thread synchronization context on a 2-core machine (the test hung so with other classes running).
        page.WaitForAssertion(() => Assert.Contains("Applied split-lock v1 40% / split-lock v2 50% / split-lock v3 10%", Text(page, "outcome")), TimeSpan.FromSeconds(10));
        var (weights, _) = await StoredAsync(key);
        Assert.Equal(new[] { 40, 50, 10 }, weights);
        // The lock is the user's and survives the reload that follows the release.
        Assert.True(page.Find("[data-testid=slider-0-2]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task ServicePage_ShowsTheSlidersOfTheRoutesSplittingIt_AndSaysSoWhenNoneDoes()
    {
        await SeedRouteAsync("split-service", ("v1", 75), ("v2", 25));
        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.IsType<ChangeResult.Applied>(await scope.ServiceProvider.GetRequiredService<ResourceService>()
                .ApplyAsync(Samples.Service("split-none"), new ChangeActor("seed@meshwork.test", ChangeSource.Api)));
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);

        var page = RenderServicePage(context, "split-service");
        page.WaitForAssertion(() => Assert.Equal("25%", page.Find("[data-testid=route-split-split-service] [data-testid=desired-0-1]").TextContent.Trim()),
            TimeSpan.FromSeconds(10));
        Assert.Contains("split-service v1", page.Find("[data-testid=route-split-split-service]").TextContent);
        Assert.Single(page.FindAll("[data-testid^=route-split-]"));

        await using var other = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var lonely = RenderServicePage(other, "split-none");
        lonely.WaitForAssertion(() => Assert.Contains("No route splits this service's traffic", Text(lonely, "no-splits")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Viewer_SeesTheSplit_ButCannotMoveIt()
    {
        var key = await SeedRouteAsync("split-viewer", ("v1", 80), ("v2", 20));
        await using var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("20%", Text(page, "desired-0-1")), TimeSpan.FromSeconds(10));
        Assert.All(page.FindAll("input[type=range]"), slider => Assert.True(slider.HasAttribute("disabled")));
        Assert.Empty(page.FindAll("[data-testid=send-all-to-stable-0]"));
    }

    [Fact]
    public async Task ObservedSplit_AndAckProgress_FollowTheLiveStatus()
    {
        var key = await SeedRouteAsync("split-live", ("v1", 90), ("v2", 10));
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.Equal("no traffic", Text(page, "observed-0-1")), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=slider-0-1]").Change("20");
        page.WaitForAssertion(() => Assert.Contains("Applied", Text(page, "outcome")), TimeSpan.FromSeconds(10));
        var (_, stored) = await StoredAsync(key);
        await using var scope = portal.Services.CreateAsyncScope();
        var revision = (await scope.ServiceProvider.GetRequiredService<ResourceService>().ListWithRevisionAsync()).Revision;

        // The control plane compiled the change; one of two affected proxies has ACKed it, one proxy was unaffected.
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000, HasSignals = true };
        update.Proxies.Add(Proxy("web-1", sent: 8, acked: 8, revision, changed: revision));
        update.Proxies.Add(Proxy("web-2", sent: 9, acked: 7, revision, changed: revision));
        update.Proxies.Add(Proxy("billing-1", sent: 3, acked: 3, revision, changed: 0));
        update.Edges.Add(Edge("v1", rps: 16));
        update.Edges.Add(Edge("v2", rps: 4));
        context.State.Apply(LiveComponentTest.ControlPlane, update);
        page.WaitForAssertion(() =>
        {
            Assert.Equal("80%", Text(page, "observed-0-0"));
            Assert.Equal("20%", Text(page, "observed-0-1"));
            Assert.Contains("1 of 2 affected proxies on the new configuration (1 other unaffected)", Text(page, "sync-progress"));
        }, TimeSpan.FromSeconds(5));

        var acked = new StatusUpdate { AtUnixMs = 2_000 };
        acked.Proxies.Add(Proxy("web-2", sent: 9, acked: 9, revision, changed: revision));
        context.State.Apply(LiveComponentTest.ControlPlane, acked);
        page.WaitForAssertion(() =>
        {
            Assert.Contains("2 of 2 affected proxies", Text(page, "sync-progress"));
            Assert.Equal("true", page.Find("[data-testid=sync-progress]").GetAttribute("data-complete"));
        }, TimeSpan.FromSeconds(5));
        Assert.True(stored.Resource.Metadata.Version > 1);
    }

    private static ProxyStatus Proxy(string id, long sent, long acked, long revision, long changed) => new()
    {
        ProxyId = id, Service = id.Split('-')[0], Namespace = "default", Version = "v1", Connected = true,
        SentVersion = sent, AckedVersion = acked, DesiredRevision = revision, ChangedRevision = changed,
    };

    private static EdgeSignals Edge(string version, double rps) => new()
    {
        SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = "split-live", DestinationNamespace = "default", DestinationVersion = version,
        Signals = new GoldenSignals { Rps = rps, SuccessRate = 1, Requests = (ulong)(rps * 10), WindowSeconds = 10 },
    };
}
