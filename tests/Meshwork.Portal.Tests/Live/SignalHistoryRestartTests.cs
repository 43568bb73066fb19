using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;
using Meshwork.Store.Signals;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The Overview's history end to end: real traffic through real sidecars, counted by the control plane into one-minute
/// rollups it saves in PostgreSQL, read by a portal that never saw the traffic, and read the same after that portal
/// restarts. A portal keeping history in its own memory would chart nothing here.
/// </summary>
public sealed class SignalHistoryRestartTests(LiveTrafficMesh.Portal portal) : LiveTrafficMeshTest(portal)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private static readonly SignalSeries Shop = SignalSeries.ServiceVersion("shop", "default", "v1");

    /// <summary>Longer than two of the control plane's saves (every 10 s): a total unchanged this long has been saved whole.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task StoredRollups_ChartTheTrafficInANewPortal_AndTheSameAfterItRestarts()
    {
        var live = Portal.Services.GetRequiredService<MeshLiveData>();
        var store = Portal.Services.GetRequiredService<SignalHistoryStore>();
        var started = DateTimeOffset.UtcNow;
        var since = SignalHistoryStore.TruncateToMinute(started).AddMinutes(-1);

        // Paced traffic until PostgreSQL holds a good part of it (the control plane saves while it flows).
        using var traffic = new CancellationTokenSource();
        var generator = Mesh.TrafficAsync(traffic.Token);
        try
        {
            await Eventually.HoldsAsync(async () => Total(await ShopAsync(store, since)) >= 2_000, "2000 requests to shop v1 stored", Generous);
        }
        finally
        {
            await traffic.CancelAsync();
        }
        await generator;
        var stopped = DateTimeOffset.UtcNow;

        // Every request reported (shop's live window back to zero), then stored: its total stops growing.
        await Eventually.HoldsAsync(() => Task.FromResult(live.Current.ServiceVersions.Any(v => v is { Service: "shop", Version: "v1", Signals.Requests: 0 })),
            "shop v1's live rate back to zero", Generous);
        var stored = await SettledAsync(store, since);
        var total = Total(stored);

        // Read at a fixed time in the minute after the last one with traffic: that minute is under way with nothing
        // stored, so the chart ends at the last minute with traffic and every step is a whole minute (GoldenSignalHistory.Fold).
        var lastMinute = stored.Max(r => r.Minute);
        var now = lastMinute.AddSeconds(90);
        var dataDirectory = Path.Combine(Path.GetTempPath(), "meshwork-history-restart-" + Guid.NewGuid().ToString("N")[..12]);
        var before = await ChartInANewPortalAsync(dataDirectory, now);

        Assert.Equal(Enumerable.Range(-4, 5).Select(i => lastMinute.AddMinutes(i)), before.Select(p => p.Start));
        Assert.Equal(total, before.Sum(Requests)); // every stored request, in whole minutes
        foreach (var point in before)
        {
            // A minute the traffic ran through for 10 s or more had requests reported in it (sidecars report every second).
            var overlap = Min(point.Start.AddMinutes(1), stopped) - Max(point.Start, started);
            if (overlap >= TimeSpan.FromSeconds(10)) Assert.True(point.RequestsPerSecond > 0, $"no requests charted at {point.Start:HH:mm}");
            if (point.Start.AddMinutes(1) <= started) Assert.Equal(0, point.RequestsPerSecond);
            // The backend fails every 20th request; a few requests cut off when the traffic stopped may count too.
            if (Requests(point) >= 200) Assert.InRange(point.ErrorPercent, 2.5, 7.5);
        }
        Assert.InRange(before.Sum(p => Requests(p) * p.ErrorPercent) / total, 4, 6);

        // The same portal again (same database, same data folder): the same chart.
        var after = await ChartInANewPortalAsync(dataDirectory, now);
        Assert.Equal(before, after);
        Directory.Delete(dataDirectory, recursive: true);
    }

    /// <summary>Starts a portal on the mesh's database and the given data folder, reads the Overview's 5-minute chart at <paramref name="now"/> and stops it.</summary>
    private async Task<IReadOnlyList<GoldenSignalPoint>> ChartInANewPortalAsync(string dataDirectory, DateTimeOffset now)
    {
        await using var reader = new PortalFactory { ConnectionString = Portal.ConnectionString, DataDirectoryOverride = dataDirectory };
        await reader.InitializeAsync();
        return await GoldenSignalHistory.LoadAsync(reader.Services.GetRequiredService<SignalHistoryStore>(), HistoryWindow.FiveMinutes, now);
    }

    private static long Requests(GoldenSignalPoint point) => (long)Math.Round(point.RequestsPerSecond * 60);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static long Total(IEnumerable<SignalRollup> rollups) => rollups.Sum(r => r.Requests);

    /// <summary>Shop v1's stored minutes since <paramref name="since"/>, polled gently (a query a second).</summary>
    private static async Task<IReadOnlyList<SignalRollup>> ShopAsync(SignalHistoryStore store, DateTimeOffset since)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        var rollups = await store.ReadAsync(SignalSeriesKind.ServiceVersion, since, DateTimeOffset.UtcNow.AddMinutes(1), default);
        return rollups.Where(r => r.Series == Shop).ToList();
    }

    /// <summary>The stored minutes once their total has stopped growing (unchanged for <see cref="Quiet"/>).</summary>
    private static async Task<IReadOnlyList<SignalRollup>> SettledAsync(SignalHistoryStore store, DateTimeOffset since)
    {
        var settled = await ShopAsync(store, since);
        var unchangedSince = DateTime.UtcNow;
        await Eventually.HoldsAsync(async () =>
        {
            var now = await ShopAsync(store, since);
            if (Total(now) != Total(settled)) (settled, unchangedSince) = (now, DateTime.UtcNow);
            return DateTime.UtcNow - unchangedSince > Quiet;
        }, "shop v1's stored total to stop growing", Generous);
        return settled;
    }
}
