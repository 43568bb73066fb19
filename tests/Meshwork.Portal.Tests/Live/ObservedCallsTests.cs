using Meshwork.Model.Policy;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Meshwork.Store.Signals;
using Npgsql;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The access matrix's calls of the last hour over real PostgreSQL: the stored one-minute edge rollups of
/// the minutes that overlap the hour (every writer's share added up) count, older minutes do not, and the
/// live edges are merged in, on a fixed clock.
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
        var calls = new ObservedCalls(store, new FixedTime(Now));

        Assert.True(calls.IsStale);
        await calls.ReadStoredAsync();
        Assert.False(calls.IsStale);
        var observed = calls.With([LiveEdge("web", "shop", 50, 5), LiveEdge("shop", "pricing", 20, 2)]);

        Assert.Equal(
            [("default/shop → default/pricing", 20L, 2.0), ("default/web → default/shop", 150L, 5.0)],
            observed.Select(c => ($"{c.From} → {c.To}", c.Requests, c.Rps)).Order().ToList());
        Assert.DoesNotContain(observed, c => c.From == new ServiceName("default", "billing"));
    }

    [Fact]
    public async Task LiveCallsAlreadyInTheStoredCurrentMinute_AreNotCountedTwice()
    {
        await using var database = NpgsqlDataSource.Create(portal.ConnectionString);
        var store = new SignalHistoryStore(database);
        var now = Now.AddDays(1); // a day later: the other test's hour holds none of this
        await store.SaveAsync("cp-a/1", [Rollup(now, "cart", "stock", "v1", 40)], default);
        var calls = new ObservedCalls(store, new FixedTime(now));
        await calls.ReadStoredAsync();

        var call = Assert.Single(calls.With([LiveEdge("cart", "stock", 40, 4)]));

        Assert.Equal(40, call.Requests);
    }

    private static SignalRollup Rollup(DateTimeOffset minute, string from, string to, string toVersion, long requests) =>
        new(minute, new SignalSeries(SignalSeriesKind.Edge, from, "default", "v1", to, "default", toVersion), requests, 0, [requests]);

    private static EdgeSignals LiveEdge(string from, string to, ulong requests, double rps) => new()
    {
        SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
        Signals = new GoldenSignals { Rps = rps, SuccessRate = 1, Requests = requests, WindowSeconds = 10 },
    };
}
