using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Meshwork.Store;
using Meshwork.Store.Signals;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The Access page's matrix over the real store: verdicts per caller and callee, a pending change tried
/// against the calls observed in the last hour (stored one-minute rollups and the live status), ALLOW
/// rules drafted from them, and an Admin applying them.
/// </summary>
public sealed class AccessMatrixPanelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task SeedAsync()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
        foreach (var name in new[] { "web", "shop", "billing", "teller", "ledger" })
        {
            if (await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", name)) is null)
                Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service(name), actor));
        }
        if (await store.GetAsync(new ResourceKey(ResourceKind.AccessPolicy, "default", "shop-from-web")) is null)
        {
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "shop-from-web" },
                Service = "shop",
                Rules = [new AccessRule { From = [new AccessSource { Services = ["web"] }] }],
            }, actor));
        }
    }

    /// <summary>An admin's page whose clock reads <paramref name="now"/>, so stored minutes fall inside or outside its last hour.</summary>
    private LiveComponentTest AdminAt(DateTimeOffset now)
    {
        var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        context.Services.AddSingleton<TimeProvider>(new FixedTime(now));
        return context;
    }

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Render(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<AccessMatrixPanel>(1);
            b.CloseComponent();
        });

    private static string Verdict(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string from, string to) =>
        page.Find($"[data-testid=cell-default-{from}--default-{to}]").GetAttribute("data-verdict")!;

    /// <summary>web calls shop and billing calls web, as the status stream reports them.</summary>
    private static void ObserveCalls(LiveComponentTest context)
    {
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000, HasSignals = true };
        update.Edges.Add(Edge("web", "shop"));
        update.Edges.Add(Edge("billing", "web"));
        context.State.Apply(LiveComponentTest.ControlPlane, update);
    }

    private static EdgeSignals Edge(string from, string to) => new()
    {
        SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
        Signals = new GoldenSignals { Rps = 5, SuccessRate = 1, Requests = 50, WindowSeconds = 10 },
    };

    [Fact]
    public async Task Matrix_JudgesEveryPair_WithTheDecidingPolicyInTheCell()
    {
        await SeedAsync();
        await using var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        var page = Render(context);

        page.WaitForAssertion(() => Assert.Equal("Allowed", Verdict(page, "web", "shop")), TimeSpan.FromSeconds(10));
        Assert.Equal("Denied", Verdict(page, "billing", "shop"));
        Assert.Contains("denied by no ALLOW matching", page.Find("[data-testid=cell-default-billing--default-shop]").GetAttribute("title"));
        Assert.Equal("DefaultAllowed", Verdict(page, "shop", "web"));
        Assert.Empty(page.FindAll("[data-testid=access-apply]")); // a Viewer tries changes, never applies them
    }

    [Fact]
    public async Task PendingChange_NamesTheObservedCallsItWouldDeny_AndWritesNothing()
    {
        await SeedAsync();
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context);
        ObserveCalls(context);
        page.WaitForAssertion(() => Assert.Contains("●", page.Find("[data-testid=cell-default-web--default-shop]").TextContent), TimeSpan.FromSeconds(10));

        page.Find("textarea[data-testid=access-pending]").Input(
            "kind: AccessPolicy\nmetadata:\n  name: web-from-shop-only\nservice: web\naction: allow\nrules:\n  - from:\n      - services: [shop]\n");

        page.WaitForAssertion(() =>
        {
            Assert.Contains("would deny 1 call", page.Find("[data-testid=access-would-deny]").TextContent);
            Assert.Contains("default/billing → default/web", page.Find("[data-testid=access-would-deny]").TextContent);
            Assert.Equal("Denied", Verdict(page, "billing", "web"));
            Assert.Contains("changed", page.Find("[data-testid=cell-default-billing--default-web]").ClassList);
        }, TimeSpan.FromSeconds(10));
        await using var scope = portal.Services.CreateAsyncScope();
        Assert.Null(await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.AccessPolicy, "default", "web-from-shop-only")));

        page.Find("textarea[data-testid=access-pending]").Input("kind: AccessPolicy\nmetadata:\n  name: bad\nservice: nosuchservice\n");
        page.WaitForAssertion(() => Assert.Contains("nosuchservice", page.Markup), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task DraftFromObservedCalls_ThenApply_StoresAuditedAllowPoliciesThatDenyNothingObserved()
    {
        await SeedAsync();
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context);
        ObserveCalls(context);
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=access-draft]").HasAttribute("disabled")), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=access-draft]").Click();
        page.WaitForAssertion(() => Assert.Contains("denies none of the calls", page.Find("[data-testid=access-would-deny]").TextContent), TimeSpan.FromSeconds(10));
        page.Find("[data-testid=access-apply]").Click();
        page.WaitForAssertion(() => Assert.Contains("Applied", page.Find("[data-testid=outcome]").TextContent), TimeSpan.FromSeconds(10));
        // The change's way to the proxies is followed; none is connected in this test, and the page says so.
        Assert.Contains("No proxy is connected", page.Find("[data-testid=sync-progress]").TextContent);

        await using var scope = portal.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.AccessPolicy, "default", "web-allow-observed"));
        var policy = Assert.IsType<AccessPolicy>(stored?.Resource);
        Assert.Equal(["billing"], policy.Rules.Single().From.Single().Services);
        Assert.Equal(PortalFactory.AdminEmail, stored!.UpdatedBy);
        page.WaitForAssertion(() => Assert.Equal("Allowed", Verdict(page, "billing", "web")), TimeSpan.FromSeconds(10));
        Assert.Equal("Denied", Verdict(page, "shop", "web")); // not observed, so not admitted by the draft
    }

    [Fact]
    public async Task CallsStoredInTheLastHour_AreObservedDeniedAndDrafted_OlderOnesAreNot()
    {
        await SeedAsync();
        // Long before the other tests' (system) clock: their last hour holds none of these minutes.
        var now = new DateTimeOffset(2026, 1, 15, 10, 30, 20, TimeSpan.Zero);
        await using (var database = Npgsql.NpgsqlDataSource.Create(portal.ConnectionString))
        {
            await new SignalHistoryStore(database).SaveAsync("cp-a/1",
            [
                new SignalRollup(now.AddMinutes(-59), Series("shop", "billing"), 80, 0, [80]),  // within the hour
                new SignalRollup(now.AddHours(-2), Series("billing", "shop"), 500, 0, [500]),   // two hours ago
            ], default);
        }
        await using var context = AdminAt(now);
        var page = Render(context);

        page.WaitForAssertion(() => Assert.Contains("●", page.Find("[data-testid=cell-default-shop--default-billing]").TextContent), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("●", page.Find("[data-testid=cell-default-billing--default-shop]").TextContent);
        Assert.Contains("observed in the last hour", page.Markup);

        page.Find("textarea[data-testid=access-pending]").Input(
            "kind: AccessPolicy\nmetadata:\n  name: billing-from-web-only\nservice: billing\naction: allow\nrules:\n  - from:\n      - services: [web]\n");
        page.WaitForAssertion(() =>
        {
            var warning = page.Find("[data-testid=access-would-deny]").TextContent;
            Assert.Contains("would deny 1 call observed in the last hour", warning);
            Assert.Contains("default/shop → default/billing (HTTP, 80 requests)", warning);
        }, TimeSpan.FromSeconds(10));

        // The draft admits the hour's call (billing from shop) and nothing for the older one (shop stays as stored).
        page.Find("[data-testid=access-draft]").Click();
        page.WaitForAssertion(() =>
        {
            Assert.Contains("denies none of the calls observed in the last hour", page.Find("[data-testid=access-would-deny]").TextContent);
            Assert.Equal("Allowed", Verdict(page, "shop", "billing"));
            Assert.Equal("Denied", Verdict(page, "web", "billing"));
            Assert.Equal("Denied", Verdict(page, "billing", "shop"));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TcpConnectionsObserved_AreJudgedOnTheirSourceAlone_NamedWhenAChangeWouldDenyThem_AndDrafted()
    {
        await SeedAsync();
        // Another day than the other tests' (system or fixed) clocks: their last hour holds none of these minutes.
        var now = new DateTimeOffset(2026, 2, 20, 9, 15, 40, TimeSpan.Zero);
        await using (var database = Npgsql.NpgsqlDataSource.Create(portal.ConnectionString))
        {
            await new TcpHistoryStore(database).SaveAsync("cp-a/1",
            [
                new TcpRollup(now.AddMinutes(-30), new TcpEdgeSeries("teller", "default", "v1", "ledger", "default", "v1"), 12, 12, 0, 0, 4_000, 9_000, 600),
                // web's connections to ledger were all refused by ledger's sidecars: not a call that runs.
                new TcpRollup(now.AddMinutes(-30), new TcpEdgeSeries("web", "default", "v1", "ledger", "default", "v1"), 4, 4, 0, 0, 40, 0, 4),
                new TcpRollup(now.AddMinutes(-30), new TcpEdgeSeries("web", "default", "", "ledger", "default", "v1"), 0, 0, 0, 4, 0, 0, 0),
            ], default);
        }
        await using var context = AdminAt(now);
        var page = Render(context);
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000, HasSignals = true };
        update.TcpEdges.Add(new TcpEdgeSignals
        {
            SourceService = "teller", SourceNamespace = "default", SourceVersion = "v1",
            DestinationService = "ledger", DestinationNamespace = "default", DestinationVersion = "v1",
            WindowSeconds = 10, Opened = 3, Active = 1, ConnectionsPerSecond = 0.3,
        });
        context.State.Apply(LiveComponentTest.ControlPlane, update);

        var tellerToLedger = "[data-testid=cell-default-teller--default-ledger]";
        page.WaitForAssertion(() =>
        {
            Assert.Equal("DefaultAllowed", page.Find(tellerToLedger).GetAttribute("data-tcp-verdict"));
            Assert.Contains("TCP", page.Find(tellerToLedger).TextContent);
            Assert.Contains("TCP connection allowed by the mesh default", page.Find(tellerToLedger).GetAttribute("title"));
        }, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("●", page.Find(tellerToLedger).TextContent); // no HTTP call observed
        Assert.Null(page.Find("[data-testid=cell-default-web--default-ledger]").GetAttribute("data-tcp-verdict"));

        // GET from teller over HTTP: the HTTP cell only narrows (partial), but a TCP connection has no method, so it is denied.
        page.Find("textarea[data-testid=access-pending]").Input(
            "kind: AccessPolicy\nmetadata:\n  name: ledger-gets-from-teller\nservice: ledger\naction: allow\nrules:\n  - from:\n      - services: [teller]\n    to:\n      - methods: [GET]\n");
        page.WaitForAssertion(() =>
        {
            var warning = page.Find("[data-testid=access-would-deny]").TextContent;
            Assert.Contains("would deny 1 call observed in the last hour", warning);
            Assert.Contains("default/teller → default/ledger (TCP, 12 connections): TCP connection denied by no ALLOW matching", warning);
            Assert.Equal("Partial", Verdict(page, "teller", "ledger"));
            Assert.Equal("Denied", page.Find(tellerToLedger).GetAttribute("data-tcp-verdict"));
            Assert.Contains("changed", page.Find(tellerToLedger).ClassList);
        }, TimeSpan.FromSeconds(10));

        // The draft admits the TCP caller and not web, whose every connection was refused.
        page.Find("[data-testid=access-draft]").Click();
        page.WaitForAssertion(() =>
        {
            Assert.Contains("denies none of the calls observed in the last hour", page.Find("[data-testid=access-would-deny]").TextContent);
            Assert.Equal("Allowed", page.Find(tellerToLedger).GetAttribute("data-tcp-verdict"));
            Assert.Contains("TCP connection allowed by 'ledger-allow-observed'", page.Find(tellerToLedger).GetAttribute("title"));
            Assert.Equal("Denied", Verdict(page, "web", "ledger"));
        }, TimeSpan.FromSeconds(10));
    }

    private static SignalSeries Series(string from, string to) => new(SignalSeriesKind.Edge, from, "default", "v1", to, "default", "v1");
}
