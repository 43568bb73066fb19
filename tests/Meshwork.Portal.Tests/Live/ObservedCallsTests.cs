using Meshwork.Model.Policy;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Meshwork.Store.Signals;
using Npgsql;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The access matrix's calls of the last hour over real PostgreSQL: the stored one-minute edge rollups of
/// the minutes that overlap the hour (every writer's share added up) count, older minutes do not, and the
/// live edges are merged in, on a fixed clock; the same for TCP edges, where connections the called side
/// denied are not calls that run.
/// </summary>
public sealed class ObservedCallsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 10, 30, 20, TimeSpan.Zero);

    [Fact]
    public async Task StoredMinutesOfTheLastHour_AreCounted_OlderOnesAreNot_AndLiveCallsAreMergedIn()
    {
        await using var database = NpgsqlDataSource.Create(portal.ConnectionString);
        var store = new SignalHistoryStore(database);
        await store.SaveAsync("cp-a/1",
        [
            Rollup(Now.AddMinutes(-59), "web", "shop", "v1", 120),  // within the hour
            Rollup(Now.AddHours(-2), "billing", "shop", "v1", 500),  // two hours ago: outside
            Rollup(Now.AddMinutes(-61), "billing", "web", "v1", 7),  // the minute before the hour's first: outside
        ], default);
        // Another control plane writer, another version of the callee: the same service pair.
        await store.SaveAsync("cp-b/1", [Rollup(Now.AddMinutes(-10), "web", "shop", "v2", 30)], default);
        var calls = new ObservedCalls(store, new TcpHistoryStore(database), new FixedTime(Now));

        Assert.True(calls.IsStale);
        await calls.ReadStoredAsync();
        Assert.False(calls.IsStale);
        var observed = calls.With([LiveEdge("web", "shop", 50, 5), LiveEdge("shop", "pricing", 20, 2)], []);

        Assert.Equal(
            [("default/shop → default/pricing", 20L, 2.0), ("default/web → default/shop", 150L, 5.0)],
            observed.Select(c => ($"{c.From} → {c.To}", c.Count, c.Rate)).Order().ToList());
        Assert.All(observed, c => Assert.Equal(CallProtocol.Http, c.Protocol));
        Assert.DoesNotContain(observed, c => c.From == new ServiceName("default", "billing"));
    }

    [Fact]
    public async Task LiveCallsAlreadyInTheStoredCurrentMinute_AreNotCountedTwice()
    {
        await using var database = NpgsqlDataSource.Create(portal.ConnectionString);
        var store = new SignalHistoryStore(database);
        var now = Now.AddDays(1); // a day later: the other test's hour holds none of this
        await store.SaveAsync("cp-a/1", [Rollup(now, "cart", "stock", "v1", 40)], default);
        var calls = new ObservedCalls(store, new TcpHistoryStore(database), new FixedTime(now));
        await calls.ReadStoredAsync();

        var call = Assert.Single(calls.With([LiveEdge("cart", "stock", 40, 4)], []));

        Assert.Equal(40, call.Count);
    }

    [Fact]
    public async Task TcpEdges_CountTheConnectionsTheCalledSideAdmitted_StoredAndLive_BesideHttp()
    {
        await using var database = NpgsqlDataSource.Create(portal.ConnectionString);
        var tcp = new TcpHistoryStore(database);
        var now = Now.AddDays(2); // the other tests' hours hold none of this
        await tcp.SaveAsync("cp-a/1",
        [
            // web relayed 10 connections to db; db's sidecars denied 4 of them (their row has no caller version).
            TcpRollup(now.AddMinutes(-30), "web", "v1", "db", opened: 10),
            TcpRollup(now.AddMinutes(-30), "web", "", "db", denied: 4),
            // Every connection from intruder was denied: it is not a call that runs.
            TcpRollup(now.AddMinutes(-20), "intruder", "v1", "db", opened: 3),
            TcpRollup(now.AddMinutes(-20), "intruder", "", "db", denied: 3),
            // A connection opened before the hour that still answered: observed, with no connection opened in it.
            TcpRollup(now.AddMinutes(-5), "report", "v1", "db", sentBytes: 9_000),
            TcpRollup(now.AddHours(-2), "archiver", "v1", "db", opened: 50), // two hours ago: outside
        ], default);
        await new SignalHistoryStore(database).SaveAsync("cp-a/1", [Rollup(now.AddMinutes(-30), "web", "db", "v1", 70)], default);
        var calls = new ObservedCalls(new SignalHistoryStore(database), tcp, new FixedTime(now));
        await calls.ReadStoredAsync();

        var observed = calls.With([],
        [
            LiveTcp("web", "v1", "db", opened: 2, denied: 0, active: 1, rate: 0.2),   // already in the stored minutes: the larger count
            // Two caller versions: the called side's 2 denials of the batch service ride on both edges and count once.
            LiveTcp("batch", "v1", "db", opened: 2, denied: 2, active: 0, rate: 0.2),
            LiveTcp("batch", "v2", "db", opened: 2, denied: 2, active: 0, rate: 0.2),
            LiveTcp("scanner", "", "db", opened: 0, denied: 5, active: 0, rate: 0),   // refusals only
        ]);

        Assert.Equal(
        [
            ("default/batch → default/db", CallProtocol.Tcp, 2L),
            ("default/report → default/db", CallProtocol.Tcp, 0L),
            ("default/web → default/db", CallProtocol.Http, 70L),
            ("default/web → default/db", CallProtocol.Tcp, 6L),
        ], observed.Select(c => ($"{c.From} → {c.To}", c.Protocol, c.Count)).Order().ToList());
        Assert.Equal("TCP, 6 connections", observed.Single(c => c.From.Service == "web" && c.Protocol == CallProtocol.Tcp).Describe());
    }

    private static TcpRollup TcpRollup(DateTimeOffset minute, string from, string fromVersion, string to, long opened = 0, long denied = 0, long sentBytes = 0) =>
        new(minute, new TcpEdgeSeries(from, "default", fromVersion, to, "default", "v1"), opened, opened, 0, denied, 100 * opened, sentBytes, 10 * opened);

    private static TcpEdgeSignals LiveTcp(string from, string fromVersion, string to, ulong opened, ulong denied, ulong active, double rate) => new()
    {
        SourceService = from, SourceNamespace = "default", SourceVersion = fromVersion,
        DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
        WindowSeconds = 10, Opened = opened, Denied = denied, Active = active, ConnectionsPerSecond = rate,
    };

    private static SignalRollup Rollup(DateTimeOffset minute, string from, string to, string toVersion, long requests) =>
        new(minute, new SignalSeries(SignalSeriesKind.Edge, from, "default", "v1", to, "default", toVersion), requests, 0, [requests]);

    private static EdgeSignals LiveEdge(string from, string to, ulong requests, double rps) => new()
    {
        SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
        Signals = new GoldenSignals { Rps = rps, SuccessRate = 1, Requests = requests, WindowSeconds = 10 },
    };
}
