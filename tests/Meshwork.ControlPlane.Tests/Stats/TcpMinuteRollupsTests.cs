using Meshwork.ControlPlane.Stats;
using Meshwork.Protocol.Mesh;
using Meshwork.Store.Signals;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.ControlPlane.Tests.Stats;

public sealed class TcpMinuteRollupsTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 30, TimeSpan.Zero));
    private static readonly DateTimeOffset Minute = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_CountsConnectionsAndBytesOnTheCallingSide_PerMinuteOfTheControlPlanesClock()
    {
        var rollups = new TcpMinuteRollups(time);
        rollups.Record([Outbound(opened: 2, closed: 1, received: 100, sent: 1_000), Inbound(denied: 0)]);
        time.Advance(TimeSpan.FromSeconds(20));
        rollups.Record([Outbound(opened: 1, closed: 2, received: 50, sent: 500)]);
        time.Advance(TimeSpan.FromSeconds(20)); // 12:01:10, the next minute
        rollups.Record([Outbound(opened: 4, closed: 0, received: 7, sent: 70)]);

        var (held, current) = rollups.Snapshot();

        Assert.Equal(Minute.AddMinutes(1), current);
        var edge = new TcpEdgeSeries("web", "default", "v1", "orders", "default", "v2");
        Assert.Equal(
            [(Minute, edge, 3L, 3L, 150L, 1_500L, 0L), (Minute.AddMinutes(1), edge, 4L, 0L, 7L, 70L, 0L)],
            held.OrderBy(r => r.Minute).Select(r => (r.Minute, r.Edge, r.Opened, r.Closed, r.ReceivedBytes, r.SentBytes, r.Denied)));
    }

    [Fact]
    public void Record_KeepsRefusalsOfTheCalledSideOnAnEdgeFromTheCallersServiceWithNoVersion_AndIgnoresItsOtherCounts()
    {
        var rollups = new TcpMinuteRollups(time);
        rollups.Record([Inbound(denied: 3), Inbound(denied: 2)]);

        var rollup = Assert.Single(rollups.Snapshot().Rollups);

        Assert.Equal(new TcpEdgeSeries("web", "default", "", "orders", "default", "v2"), rollup.Edge);
        Assert.Equal((5L, 0L, 0L), (rollup.Denied, rollup.Opened, rollup.ReceivedBytes));
    }

    [Fact]
    public void ForgetBefore_DropsOnlyEarlierMinutes()
    {
        var rollups = new TcpMinuteRollups(time);
        rollups.Record([Outbound(opened: 1, closed: 0, received: 1, sent: 1)]);
        time.Advance(TimeSpan.FromMinutes(1));
        rollups.Record([Outbound(opened: 2, closed: 0, received: 1, sent: 1)]);

        rollups.ForgetBefore(Minute.AddMinutes(1));

        var left = Assert.Single(rollups.Snapshot().Rollups);
        Assert.Equal((Minute.AddMinutes(1), 2L), (left.Minute, left.Opened));
    }

    private static TcpEdgeStats Outbound(ulong opened, ulong closed, ulong received, ulong sent) => new()
    {
        Direction = Direction.Outbound,
        SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = "orders", DestinationNamespace = "default", DestinationVersion = "v2",
        Route = "default/orders-tcp/0",
        Opened = opened, Closed = closed, ReceivedBytes = received, SentBytes = sent,
        Denied = 9, // the calling side's own refusals are not counted (the called side reports them)
    };

    private static TcpEdgeStats Inbound(ulong denied) => new()
    {
        Direction = Direction.Inbound,
        SourceService = "web", SourceNamespace = "default",
        DestinationService = "orders", DestinationNamespace = "default", DestinationVersion = "v2",
        Opened = 11, ReceivedBytes = 1_100, SentBytes = 11_000, Denied = denied,
    };
}
