using Bunit;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Meshwork.Store.Signals;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The topology's side panel of a version: its TCP route callers and calls live (open connections, rates, refusals) and
/// over the last hour from the stored one-minute rollups of the real store.
/// </summary>
public sealed class TopologyNodePanelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 44, 30, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private LiveComponentTest Context()
    {
        var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        context.Services.AddSingleton<TimeProvider>(new FixedTime(Now));
        return context;
    }

    private static TcpEdgeSignals Tcp(string from, string to, ulong active, double inBytes, double outBytes, ulong denied = 0) => new()
    {
        SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
        WindowSeconds = 10, Active = active, ConnectionsPerSecond = 0.5, Opened = 5,
        ReceivedBytesPerSecond = inBytes, SentBytesPerSecond = outBytes, Denied = denied,
    };

    [Fact]
    public async Task Version_ShowsItsTcpCallersAndCalls()
    {
        await using var context = Context();
        var snapshot = new MeshStatusSnapshot(LiveConnection.Connected, "cp", null, DateTimeOffset.UtcNow, 1, [], [], [], [], [])
        {
            TcpEdges = [Tcp("web", "orders", 3, 1_500, 2_500_000), Tcp("orders", "db", 1, 200, 40, denied: 2), Tcp("web", "cart", 9, 1, 1)],
        };

        var panel = context.Render<TopologyNodePanel>(p => p.Add(x => x.NodeId, "ver:default/orders/v1").Add(x => x.Snapshot, snapshot));

        var tables = panel.FindAll("[data-testid=topology-panel-tcp]");
        Assert.Equal(2, tables.Count);
        var rows = tables.Select(t => string.Join(" | ", t.QuerySelectorAll("tbody td").Select(td => td.TextContent.Trim()))).ToList();
        Assert.Equal(["web v1 | 3 | 0.5 | 1.5 kB/s | 2.5 MB/s | 0", "db v1 | 1 | 0.5 | 200 B/s | 40 B/s | 2"], rows);
        Assert.DoesNotContain("cart", panel.Markup);
    }

    [Fact]
    public async Task Version_ShowsItsTcpEdgesOfTheLastHourFromHistory_EveryWriterAddedUp_WithNoLiveEdge()
    {
        // Two control plane processes (a restart, or two replicas) counted the same edge; an older minute is past the hour.
        var store = new TcpHistoryStore(Npgsql.NpgsqlDataSource.Create(portal.ConnectionString));
        var webToLedger = new TcpEdgeSeries("web", "default", "v1", "ledger", "default", "v1");
        var ledgerToVault = new TcpEdgeSeries("ledger", "default", "v1", "vault", "default", "v2");
        await store.SaveAsync("cp-a/1", [new TcpRollup(Now.AddMinutes(-20), webToLedger, 4, 3, 1, 0, 2_000, 1_500_000, 30)], default);
        await store.SaveAsync("cp-a/2",
        [
            new TcpRollup(Now, webToLedger, 6, 6, 0, 0, 1_000, 500_000, 60),
            new TcpRollup(Now.AddMinutes(-90), webToLedger, 1_000, 1_000, 0, 0, 9, 9, 9),
            new TcpRollup(Now, new TcpEdgeSeries("web", "default", "", "ledger", "default", "v1"), 0, 0, 0, 2, 0, 0, 0),
            new TcpRollup(Now, ledgerToVault, 1, 0, 0, 0, 300, 40, 0),
            new TcpRollup(Now, new TcpEdgeSeries("web", "default", "v1", "cart", "default", "v1"), 9, 9, 0, 0, 9, 9, 9),
        ], default);
        await using var context = Context();
        var snapshot = new MeshStatusSnapshot(LiveConnection.Connected, "cp", null, DateTimeOffset.UtcNow, 1, [], [], [], [], []);

        var panel = context.Render<TopologyNodePanel>(p => p.Add(x => x.NodeId, "ver:default/ledger/v1").Add(x => x.Snapshot, snapshot));

        panel.WaitForAssertion(() =>
        {
            Assert.Equal(["web v1 | 10 | 9 | 3 kB | 2 MB | 1", "web (any version) | 0 | 0 | 0 B | 0 B | 2"], Rows(panel, "tcp-history-callers"));
            Assert.Equal(["vault v2 | 1 | 0 | 300 B | 40 B | 0"], Rows(panel, "tcp-history-calls"));
        }, Patience);
        Assert.Empty(panel.FindAll("[data-testid=topology-panel-tcp]"));
        Assert.DoesNotContain("cart", panel.Markup);
    }

    [Fact]
    public async Task Version_ChartsItsTcpConnectionsAndBytesPerMinuteOfTheLastHour_EveryCallerOrTheEdgeClicked()
    {
        var store = new TcpHistoryStore(Npgsql.NpgsqlDataSource.Create(portal.ConnectionString));
        var scribe = new TcpEdgeSeries("scribe", "default", "v1", "archive", "default", "v1");
        var clerk = new TcpEdgeSeries("clerk", "default", "v1", "archive", "default", "v1");
        await store.SaveAsync("cp-a/1",
        [
            new TcpRollup(Now.AddMinutes(-20), scribe, 4, 4, 0, 0, 2_000, 8_000, 40),
            new TcpRollup(Now, scribe, 6, 5, 0, 0, 1_000, 3_000, 50),
            new TcpRollup(Now, new TcpEdgeSeries("scribe", "default", "", "archive", "default", "v1"), 0, 0, 0, 2, 0, 0, 0),
            new TcpRollup(Now.AddMinutes(-5), clerk, 1, 1, 0, 0, 100, 500, 5),
        ], default);
        await store.SaveAsync("cp-b/1", [new TcpRollup(Now.AddMinutes(-20), scribe, 1, 1, 0, 0, 0, 0, 1)], default); // another writer, same minute
        await using var context = Context();
        var snapshot = new MeshStatusSnapshot(LiveConnection.Connected, "cp", null, DateTimeOffset.UtcNow, 1, [], [], [], [], []);

        var panel = context.Render<TopologyNodePanel>(p => p.Add(x => x.NodeId, "ver:default/archive/v1").Add(x => x.Snapshot, snapshot));

        // Every caller added up per minute: 60 minutes, the current one last (12:44), 12:24 twenty minutes before it.
        panel.WaitForAssertion(() =>
        {
            Assert.Contains("every caller", panel.Find("[data-testid=tcp-chart-connections-title]").TextContent);
            Assert.Equal("latest 6 opened · 2 refused", panel.Find("[data-testid=tcp-chart-connections-latest]").TextContent.Trim());
            Assert.Equal("latest 1 kB from caller · 3 kB to caller", panel.Find("[data-testid=tcp-chart-bytes-latest]").TextContent.Trim());
        }, Patience);
        var (opened, refused) = Lines(panel, "tcp-chart-connections");
        Assert.Equal(60, opened.Length);
        Assert.Equal((5.0, 1.0, 6.0, 12.0), (opened[39], opened[54], opened[59], opened.Sum()));
        Assert.Equal((2.0, 2.0), (refused[59], refused.Sum()));
        var (fromCaller, toCaller) = Lines(panel, "tcp-chart-bytes");
        Assert.Equal((2.0, 0.1, 1.0), (fromCaller[39], fromCaller[54], fromCaller[59]));
        Assert.Equal(11.5, toCaller.Sum());

        // One edge clicked: only its minutes.
        panel.FindAll("[data-testid=tcp-history-callers] tbody tr").Single(row => row.QuerySelector("td")!.TextContent.Trim() == "clerk v1").Click();
        panel.WaitForAssertion(() =>
            Assert.Contains("clerk v1 → archive v1", panel.Find("[data-testid=tcp-chart-connections-title]").TextContent), Patience);
        (opened, _) = Lines(panel, "tcp-chart-connections");
        Assert.Equal((1.0, 1.0), (opened[54], opened.Sum()));
        Assert.Equal("latest 0 opened · 0 refused", panel.Find("[data-testid=tcp-chart-connections-latest]").TextContent.Trim());

        panel.Find("[data-testid=tcp-chart-all-callers]").Click();
        panel.WaitForAssertion(() => Assert.Equal(12.0, Lines(panel, "tcp-chart-connections").First.Sum()), Patience);
    }

    /// <summary>The two lines a chart draws, as the chart component was given them.</summary>
    private static (double[] First, double[] Second) Lines(IRenderedComponent<TopologyNodePanel> panel, string testId)
    {
        var series = panel.FindComponents<MinuteLineChart>().Single(c => c.Instance.TestId == testId).Instance.Series;
        Assert.Equal(2, series.Count);
        return (Values(series[0]), Values(series[1]));
    }

    private static double[] Values(MudBlazor.ChartSeries<double> series) => series.Data.Values.Select(v => Convert.ToDouble(v)).ToArray();

    private static List<string> Rows(IRenderedComponent<TopologyNodePanel> panel, string table) =>
        panel.FindAll($"[data-testid={table}] tbody tr")
            .Select(row => string.Join(" | ", row.QuerySelectorAll("td").Select(td => td.TextContent.Trim()))).ToList();
}
