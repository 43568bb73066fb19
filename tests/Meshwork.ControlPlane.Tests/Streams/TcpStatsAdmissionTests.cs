using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Mesh;
using Meshwork.Store.Signals;
using Meshwork.Testing.Waiting;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// A proxy's TCP edge stats are hostile input: a malformed or implausible entry is refused alone (an event names the
/// field), while the well-formed entries of the same report are counted (live and in the one-minute history) and the
/// proxy keeps its stream.
/// </summary>
public sealed class TcpStatsAdmissionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    /// <summary>The history is saved every 10 s here (the default flush interval): room for a few saves on a loaded machine.</summary>
    private static readonly TimeSpan HistoryPatience = TimeSpan.FromSeconds(90);

    /// <summary>Each case breaks one field; the event must name it.</summary>
    private static readonly (string Field, Action<TcpEdgeStats> Break)[] Malformed =
    [
        ("destination_service", e => e.DestinationService = "Not A Name"),
        ("source_service", e => e.SourceService = "someone-else"),
        ("route", e => e.Route = "no-slashes"),
        ("direction", e => e.Direction = Direction.Unspecified),
        ("received_bytes", e => e.ReceivedBytes = ulong.MaxValue),
        ("active", e => e.Active = 1UL << 40),
        ("closed_duration_ms", e => e.ClosedDurationMs = 1),
    ];

    [Fact]
    public async Task MalformedTcpEdges_AreRefusedOneByOne_TheWellFormedOnesCount_AndTheProxyKeepsItsStream()
    {
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "tcp-reporter-1", "tcp-reporter"));
        await proxy.WaitForAsync(_ => true, Timeout);
        await using var status = new StatusWatcher(fixture.ControlPlane);

        foreach (var (field, breakIt) in Malformed)
        {
            var bad = Edge("bad-target");
            breakIt(bad);
            var stats = new Protocol.Mesh.Stats { WindowStartUnixMs = 1, WindowEndUnixMs = 2 };
            stats.TcpEdges.Add(bad);
            stats.TcpEdges.Add(Edge("good-target"));
            await proxy.SendAsync(new ProxyMessage { Stats = stats });
            await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "StatsRejected" && e.ProxyId == "tcp-reporter-1" && e.Message.Contains(field)),
                Timeout, $"a StatsRejected event naming {field}");
        }

        await status.WaitUntilAsync(s => s.Feed.TcpEdges.Any(e => e.DestinationService == "good-target" && e.OpenedTotal == (ulong)Malformed.Length),
            Timeout, "every well-formed TCP edge counted");
        Assert.DoesNotContain(status.Feed.TcpEdges, e => e.DestinationService == "bad-target");
        Assert.Null(proxy.Failure);
        Assert.True(status.Proxy("tcp-reporter-1")?.Connected);

        // The one-minute history holds exactly what was admitted: the refused entries never became rows.
        await Eventually.HoldsAsync(async () => (await HistoryAsync("tcp-reporter")).Where(r => r.Edge.DestinationService == "good-target")
                .Sum(r => r.Opened) == Malformed.Length,
            "every well-formed TCP edge saved in tcp_rollups", HistoryPatience);
        var saved = await HistoryAsync("tcp-reporter");
        Assert.DoesNotContain(saved, r => r.Edge.DestinationService == "bad-target");
        var good = saved.Where(r => r.Edge.DestinationService == "good-target").ToList();
        Assert.Equal((100L * Malformed.Length, 200L * Malformed.Length), (good.Sum(r => r.ReceivedBytes), good.Sum(r => r.SentBytes)));
    }

    [Fact]
    public async Task DeniedConnections_ReportedByTheCalledSide_AreSavedOnAnEdgeFromTheCallersServiceWithNoVersion()
    {
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "tcp-guarded-1", "tcp-guarded"));
        await proxy.WaitForAsync(_ => true, Timeout);
        var stats = new Protocol.Mesh.Stats { WindowStartUnixMs = 1, WindowEndUnixMs = 2 };
        stats.TcpEdges.Add(new TcpEdgeStats
        {
            Direction = Direction.Inbound,
            SourceService = "tcp-intruder",
            SourceNamespace = "default",
            DestinationService = "tcp-guarded",
            DestinationNamespace = "default",
            DestinationVersion = "v1",
            Denied = 3,
        });
        await proxy.SendAsync(new ProxyMessage { Stats = stats });

        await Eventually.HoldsAsync(async () => (await HistoryAsync("tcp-guarded")).Sum(r => r.Denied) == 3, "3 denied connections saved", HistoryPatience);
        var edge = Assert.Single((await HistoryAsync("tcp-guarded")).Select(r => r.Edge).Distinct());
        Assert.Equal(new TcpEdgeSeries("tcp-intruder", "default", "", "tcp-guarded", "default", "v1"), edge);
    }

    private async Task<IReadOnlyList<TcpRollup>> HistoryAsync(string service)
    {
        await using var database = NpgsqlDataSource.Create(fixture.ConnectionString);
        return await new TcpHistoryStore(database).ReadAsync("default", service, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), default);
    }

    private static TcpEdgeStats Edge(string destination) => new()
    {
        Direction = Direction.Outbound,
        SourceService = "tcp-reporter",
        SourceNamespace = "default",
        SourceVersion = "v1",
        DestinationService = destination,
        DestinationNamespace = "default",
        DestinationVersion = "v1",
        Route = "default/to-target/0",
        Opened = 1,
        ReceivedBytes = 100,
        SentBytes = 200,
    };
}
