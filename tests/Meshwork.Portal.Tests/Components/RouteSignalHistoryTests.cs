using Bunit;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Store.Signals;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

/// <summary>The route page's charts over the real store: one route's rules added up, no other route's traffic.</summary>
public sealed class RouteSignalHistoryTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 44, 30, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RouteHistory_ChartsTheRouteRulesAddedUp_AndNothingOfOtherRoutes()
    {
        var store = new SignalHistoryStore(Npgsql.NpgsqlDataSource.Create(portal.ConnectionString));
        await store.SaveAsync("cp-a/1",
        [
            new SignalRollup(Now, SignalSeries.Route("shop", "checkout", "canary"), 120, 30, []),
            new SignalRollup(Now, SignalSeries.Route("shop", "checkout", "0"), 180, 0, []),
            new SignalRollup(Now, SignalSeries.Route("shop", "payments", "0"), 9_000, 9_000, []),
            new SignalRollup(Now, SignalSeries.ServiceVersion("checkout", "shop", "v1"), 9_000, 9_000, []),
        ], default);
        await using var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        context.Services.AddSingleton<TimeProvider>(new FixedTime(Now));

        var panel = context.Render<RouteSignalHistory>(parameters => parameters.Add(p => p.Namespace, "shop").Add(p => p.Name, "checkout"));

        // The current minute's 300 requests over the 30 s it has run, 30 of them failed.
        panel.WaitForAssertion(() =>
        {
            Assert.Equal("latest 10 req/s", panel.Find("[data-testid=chart-rps-latest]").TextContent.Trim());
            Assert.Equal("latest 10 %", panel.Find("[data-testid=chart-errors-latest]").TextContent.Trim());
        }, Patience);

        await panel.InvokeAsync(() => panel.FindAll("[data-testid=window-picker] button").Single(b => b.TextContent.Contains("5 min")).Click());

        panel.WaitForAssertion(() => Assert.Contains("Request rate (5 min)", panel.Find("[data-testid=chart-rps]").TextContent), Patience);
    }

    [Fact]
    public async Task RouteHistory_ThisMinuteHasNothingStoredYet_LatestIsTheMinuteBefore_NotADropToZero()
    {
        var store = new SignalHistoryStore(Npgsql.NpgsqlDataSource.Create(portal.ConnectionString));
        await store.SaveAsync("cp-a/1", [new SignalRollup(Now.AddMinutes(-1), SignalSeries.Route("shop", "returns", "0"), 600, 60, [])], default);
        await using var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        context.Services.AddSingleton<TimeProvider>(new FixedTime(Now));

        var panel = context.Render<RouteSignalHistory>(parameters => parameters.Add(p => p.Namespace, "shop").Add(p => p.Name, "returns"));
        await panel.InvokeAsync(() => panel.FindAll("[data-testid=window-picker] button").Single(b => b.TextContent.Contains("5 min")).Click());

        // 12:44 has run 30 s with no rollup saved yet (they are saved every few seconds): the chart ends at 12:43, whose
        // 600 requests over its whole minute are the latest rate.
        panel.WaitForAssertion(() =>
        {
            Assert.Contains("Request rate (5 min)", panel.Find("[data-testid=chart-rps]").TextContent);
            Assert.Equal("latest 10 req/s", panel.Find("[data-testid=chart-rps-latest]").TextContent.Trim());
            Assert.Equal("latest 10 %", panel.Find("[data-testid=chart-errors-latest]").TextContent.Trim());
        }, Patience);
    }
}
