using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// A proxy's TCP edge stats are hostile input: a malformed or implausible entry is refused alone (an event names the
/// field), while the well-formed entries of the same report are counted and the proxy keeps its stream.
/// </summary>
public sealed class TcpStatsAdmissionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

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
