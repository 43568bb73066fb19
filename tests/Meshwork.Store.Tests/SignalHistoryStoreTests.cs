using Meshwork.Store.Signals;
using Npgsql;

namespace Meshwork.Store.Tests;

public sealed class SignalHistoryStoreTests : StoreDatabase
{
    private static readonly DateTimeOffset Minute = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly SignalSeries OrdersV1 = SignalSeries.ServiceVersion("orders", "default", "v1");
    private static readonly SignalSeries WebToOrders = new(SignalSeriesKind.Edge, "web", "default", "v1", "orders", "default", "v1");

    private SignalHistoryStore Store() => new(NpgsqlDataSource.Create(ConnectionString));

    [Fact]
    public async Task Save_RepeatedByOneWriter_RewritesTheMinuteInsteadOfAddingToIt()
    {
        var store = Store();
        await store.SaveAsync("cp-1/a", [new SignalRollup(Minute.AddSeconds(20), OrdersV1, 10, 1, [0, 4, 6])], default);
        await store.SaveAsync("cp-1/a", [new SignalRollup(Minute.AddSeconds(50), OrdersV1, 25, 2, [0, 10, 15])], default);

        var read = Assert.Single(await store.ReadAsync(SignalSeriesKind.ServiceVersion, Minute, Minute.AddMinutes(1), default));
        Assert.Equal((Minute, OrdersV1, 25L, 2L), (read.Minute, read.Series, read.Requests, read.Failures));
        Assert.Equal([0L, 10, 15], read.LatencyBucketCounts);
    }

    [Fact]
    public async Task Read_AddsUpWritersAndKeepsMinutesAndKindsApart()
    {
        var store = Store();
        await store.SaveAsync("cp-1/a", [new SignalRollup(Minute, OrdersV1, 10, 1, [1, 9]), new SignalRollup(Minute, WebToOrders, 7, 0, [7])], default);
        await store.SaveAsync("cp-1/b", [new SignalRollup(Minute, OrdersV1, 5, 5, [0, 0, 5]), new SignalRollup(Minute.AddMinutes(1), OrdersV1, 3, 0, [3])], default);

        var versions = await store.ReadAsync(SignalSeriesKind.ServiceVersion, Minute, Minute.AddMinutes(2), default);
        Assert.Equal(2, versions.Count);
        Assert.Equal((15L, 6L), (versions[0].Requests, versions[0].Failures));
        Assert.Equal([1L, 9, 5], versions[0].LatencyBucketCounts);
        Assert.Equal((Minute.AddMinutes(1), 3L), (versions[1].Minute, versions[1].Requests));
        var edge = Assert.Single(await store.ReadAsync(SignalSeriesKind.Edge, Minute, Minute.AddMinutes(2), default));
        Assert.Equal((WebToOrders, 7L), (edge.Series, edge.Requests));
        Assert.Empty(await store.ReadAsync(SignalSeriesKind.ServiceVersion, Minute.AddMinutes(2), Minute.AddMinutes(3), default));
    }

    [Fact]
    public async Task Prune_DeletesOnlyMinutesBeforeTheCutoff()
    {
        var store = Store();
        await store.SaveAsync("cp-1/a", [new SignalRollup(Minute, OrdersV1, 1, 0, []), new SignalRollup(Minute.AddMinutes(1), OrdersV1, 2, 0, [])], default);

        Assert.Equal(1, await store.PruneAsync(Minute.AddMinutes(1), default));

        var left = Assert.Single(await store.ReadAsync(SignalSeriesKind.ServiceVersion, Minute, Minute.AddMinutes(2), default));
        Assert.Equal(Minute.AddMinutes(1), left.Minute);
    }

    [Fact]
    public async Task Read_AWindowEndingBeforeItStarts_IsRefused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Store().ReadAsync(SignalSeriesKind.Edge, Minute, Minute.AddMinutes(-1), default));
        Assert.Contains("before it starts", error.Message);
    }
}
