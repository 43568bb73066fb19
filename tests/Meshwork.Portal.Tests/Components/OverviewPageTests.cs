using Bunit;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;
using Meshwork.Store;
using Meshwork.Store.Signals;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

/// <summary>The Overview over the real store (rollups, audit log) and a live status the test feeds, on a fixed clock.</summary>
public sealed class OverviewPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 44, 30, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private LiveComponentTest NewContext()
    {
        var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        context.Services.AddSingleton<TimeProvider>(new FixedTime(Now));
        return context;
    }

    [Fact]
    public async Task Overview_LiveStatus_ShowsServicesByHealthFailingEdgesAndFleetSync_AndFollowsUpdates()
    {
        await using var context = NewContext();
        context.State.Apply(LiveComponentTest.ControlPlane, Status(ordersFailures: 20, orders2Acked: 6));

        var page = context.Render<Overview>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal("1 healthy", page.Find("[data-testid=services-healthy]").TextContent.Trim());
            Assert.Equal("1 degraded", page.Find("[data-testid=services-degraded]").TextContent.Trim());
            Assert.Equal("1 failing", page.Find("[data-testid=services-failing]").TextContent.Trim());
            var rows = page.FindAll("[data-testid=services-table] tbody tr").Select(r => r.TextContent).ToList();
            Assert.Contains("orders", rows[0]); // failing first
            Assert.Contains("Failing", rows[0]);
            var edges = page.Find("[data-testid=failing-edges]").TextContent;
            Assert.Contains("20 %", edges);
            Assert.Equal("Not in sync", page.Find("[data-testid=fleet-sync-state]").TextContent.Trim());
            Assert.Contains("orders-2: on v6 of v7", page.Find("[data-testid=fleet-sync]").TextContent);
            Assert.Equal("2", page.Find("[data-testid=live-proxies]").TextContent.Trim());
            Assert.Equal("21.0", page.Find("[data-testid=live-rps]").TextContent.Trim());
        }, Patience);

        // The failures stop and the last proxy ACKs: the page follows without a reload.
        context.State.Apply(LiveComponentTest.ControlPlane, Status(ordersFailures: 0, orders2Acked: 7));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("0 failing", page.Find("[data-testid=services-failing]").TextContent.Trim());
            Assert.NotEmpty(page.FindAll("[data-testid=no-failing-edges]"));
            Assert.Equal("In sync", page.Find("[data-testid=fleet-sync-state]").TextContent.Trim());
        }, Patience);
    }

    [Fact]
    public async Task Overview_History_ChartsTheStoredRollupsOfTheChosenWindow()
    {
        var store = new SignalHistoryStore(Npgsql.NpgsqlDataSource.Create(portal.ConnectionString));
        var latency = new long[41];
        latency[40] = 330;
        var checkout = SignalSeries.ServiceVersion("checkout", "default", "v1");
        await store.SaveAsync("cp-a/1", [new SignalRollup(Now.AddMinutes(-1), checkout, 600, 0, latency)], default);
        await store.SaveAsync("cp-b/1", [new SignalRollup(Now, checkout, 300, 30, latency)], default);
        await using var context = NewContext();

        var page = context.Render<Overview>();

        // 1 h (default) and 5 min: the current minute's 300 requests over the 30 s it has run, 10 % failed.
        var p99 = $"{LatencyBuckets.MidpointMicros(40) / 1000:0.##} ms";
        page.WaitForAssertion(() =>
        {
            Assert.Equal("latest 10 req/s", page.Find("[data-testid=chart-rps-latest]").TextContent.Trim());
            Assert.Equal("latest 10 %", page.Find("[data-testid=chart-errors-latest]").TextContent.Trim());
            Assert.Equal($"latest {p99}", page.Find("[data-testid=chart-p99-latest]").TextContent.Trim());
        }, Patience);

        // 24 h: 15-minute steps, the current one (12:30 to now) holds both minutes: 900 requests over 870 s.
        await page.InvokeAsync(() => page.FindAll("[data-testid=window-picker] button").Single(b => b.TextContent.Contains("24 h")).Click());

        page.WaitForAssertion(() =>
        {
            Assert.Equal("latest 1.03 req/s", page.Find("[data-testid=chart-rps-latest]").TextContent.Trim());
            Assert.Contains("Request rate (24 h)", page.Find("[data-testid=chart-rps]").TextContent);
        }, Patience);
    }

    [Fact]
    public async Task Overview_RecentChanges_ListsTheNewestAuditEntries()
    {
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var resources = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var result = await resources.ApplyAsync(Samples.Service("ledger"), new ChangeActor("olga@meshwork.test", ChangeSource.Portal));
            Assert.IsType<ChangeResult.Applied>(result);
        }
        await using var context = NewContext();

        var page = context.Render<Overview>();

        page.WaitForAssertion(() =>
        {
            var changes = page.Find("[data-testid=recent-changes]").TextContent;
            Assert.Contains("olga@meshwork.test", changes);
            Assert.Contains("Service default/ledger", changes);
        }, Patience);
    }

    private static StatusUpdate Status(ulong ordersFailures, long orders2Acked)
    {
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000, HasSignals = true, ConfigVersion = 7 };
        update.ServiceVersions.Add(Version("web", 1000, 0));
        update.ServiceVersions.Add(Version("payments", 1000, 5));
        update.ServiceVersions.Add(Version("orders", 100, ordersFailures));
        update.Edges.Add(new EdgeSignals
        {
            SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
            DestinationService = "orders", DestinationNamespace = "default", DestinationVersion = "v1",
            Signals = Signals(100, ordersFailures),
        });
        update.Proxies.Add(new ProxyStatus { ProxyId = "orders-1", Service = "orders", Namespace = "default", Version = "v1", Connected = true, SentVersion = 7, AckedVersion = 7 });
        update.Proxies.Add(new ProxyStatus { ProxyId = "orders-2", Service = "orders", Namespace = "default", Version = "v1", Connected = true, SentVersion = 7, AckedVersion = orders2Acked });
        return update;
    }

    private static ServiceVersionSignals Version(string service, ulong requests, ulong failures) =>
        new() { Service = service, Namespace = "default", Version = "v1", Signals = Signals(requests, failures) };

    private static GoldenSignals Signals(ulong requests, ulong failures) =>
        GoldenSignalsMerge.FromCounts(requests, failures, requests / 100.0, 10, new MergedHistogram());
}
