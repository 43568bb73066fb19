using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Store.Signals;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// One-minute TCP edge rollups from real sidecars relaying real TCP connections (HTTP/1.1 bytes to the orders app through
/// a TcpRoute on the web sidecar) land in PostgreSQL beside the HTTP ones, survive a control plane crash without a
/// connection counted twice, and go once past retention. The control plane saves every second here.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class TcpSignalHistoryTests(SignalHistoryMeshFixture mesh) : IClassFixture<SignalHistoryMeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private static readonly TcpEdgeSeries WebToOrders = new("web", "default", "v1", "orders", "default", "v1");

    [Fact]
    public async Task TcpRollups_OfRealConnections_AreSavedAndSurviveACrashWithoutCountingTwice()
    {
        var port = FreePort.Next();
        await mesh.ApplyAsync(new TcpRoute
        {
            Metadata = new ResourceMetadata { Name = "orders-tcp-history" },
            Service = "orders",
            Port = port,
            Rules = [new TcpRouteRule { BackendRefs = [new BackendRef { Service = "orders", Version = "v1", Weight = 100 }] }],
        });
        var relayed = new List<CountingConnection>();
        await RelayAsync(port, relayed, connections: 5);
        await WaitForSavedAsync(relayed, "before the crash");
        var writerBefore = Assert.Single(await WritersAsync());

        await mesh.ControlPlane.KillAsync();
        await mesh.ControlPlane.StartAsync();
        await using (var status = new StatusWatcher(mesh.ControlPlane))
            foreach (var proxy in mesh.Proxies)
                await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true }, Generous, $"{proxy.Id} reconnected");
        await RelayAsync(port, relayed, connections: 3);

        await WaitForSavedAsync(relayed, "after the restart, both processes' rows added up");
        var writers = await WritersAsync();
        Assert.Equal(2, writers.Count);
        Assert.Contains(writerBefore, writers);
    }

    [Fact]
    public async Task TcpRollups_PastRetention_AreDeletedByTheLeaderAndNewerOnesStay()
    {
        await using var database = NpgsqlDataSource.Create(mesh.ConnectionString);
        var store = new TcpHistoryStore(database);
        var now = DateTimeOffset.UtcNow;
        var retired = new TcpEdgeSeries("retired", "default", "v1", "orders", "default", "v1");
        await store.SaveAsync("an-old-replica/1",
            [new TcpRollup(now.AddHours(-3), retired, 5, 5, 0, 0, 500, 5_000, 50), new TcpRollup(now.AddMinutes(-30), retired, 7, 7, 0, 0, 700, 7_000, 70)], default);

        await Eventually.HoldsAsync(async () => (await store.ReadAsync("default", "retired", now.AddHours(-4), now.AddMinutes(1), default)).Count == 1,
            "the TCP rollup from 3 hours ago pruned (retention 2 hours)", Generous);
        var left = Assert.Single(await store.ReadAsync("default", "retired", now.AddHours(-4), now.AddMinutes(1), default));
        Assert.Equal((7L, 700L, 7_000L), (left.Opened, left.ReceivedBytes, left.SentBytes));
    }

    /// <summary>Opens <paramref name="connections"/> connections through the route, one exchange each, and closes them.</summary>
    private async Task RelayAsync(int port, List<CountingConnection> relayed, int connections)
    {
        for (var i = 0; i < connections; i++)
            await using (await CountingConnection.OpenRelayedAsync(mesh.Web.TcpBindAddress, port, relayed, Generous)) { }
    }

    /// <summary>Waits until the stored web v1 -> orders v1 minutes, every writer added up, hold every connection and byte the client saw.</summary>
    private async Task WaitForSavedAsync(List<CountingConnection> relayed, string when)
    {
        TcpRollup? total = null;
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                total = await TotalAsync();
                return total is not null && total.Opened == relayed.Count && total.Closed == relayed.Count
                       && total.ReceivedBytes == relayed.Sum(c => c.Written) && total.SentBytes == relayed.Sum(c => c.Read);
            }, $"{relayed.Count} connections and their bytes saved {when}", Generous);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; client: {relayed.Count} connection(s), {relayed.Sum(c => c.Written)} bytes sent, " +
                                       $"{relayed.Sum(c => c.Read)} read; stored: {total}", ex);
        }
    }

    private async Task<TcpRollup?> TotalAsync()
    {
        await using var database = NpgsqlDataSource.Create(mesh.ConnectionString);
        var rollups = await new TcpHistoryStore(database).ReadAsync("default", "web", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), default);
        return rollups.Where(r => r.Edge == WebToOrders).Aggregate((TcpRollup?)null, (sum, r) => sum is null ? r : sum + r);
    }

    private async Task<List<string>> WritersAsync()
    {
        await using var connection = new NpgsqlConnection(mesh.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT writer FROM tcp_rollups WHERE source_service = 'web' AND source_version = 'v1' AND destination_service = 'orders'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var writers = new List<string>();
        while (await reader.ReadAsync()) writers.Add(reader.GetString(0));
        return writers;
    }
}
