using Microsoft.Extensions.Time.Testing;
using Meshwork.ControlPlane.Stats;
using Meshwork.Protocol.Mesh;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Tests.Stats;

public sealed class MinuteRollupsTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 30, TimeSpan.Zero));

    [Fact]
    public void Record_CountsEdgesOnTheCallingSideAndVersionsOnTheCalledSidePerMinuteOfTheControlPlanesClock()
    {
        var rollups = new MinuteRollups(time);
        rollups.Record(Report(Direction.Outbound, requests: 10, failures: 1));
        rollups.Record(Report(Direction.Inbound, requests: 10, failures: 1));
        time.Advance(TimeSpan.FromSeconds(20));
        rollups.Record(Report(Direction.Inbound, requests: 5, failures: 0));
        time.Advance(TimeSpan.FromSeconds(20)); // 12:01:10, the next minute
        rollups.Record(Report(Direction.Inbound, requests: 7, failures: 2));

        var (held, current) = rollups.Snapshot();

        var minute = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(minute.AddMinutes(1), current);
        var version = SignalSeries.ServiceVersion("orders", "default", "v2");
        var edge = new SignalSeries(SignalSeriesKind.Edge, "web", "default", "v1", "orders", "default", "v2");
        Assert.Equal(
            [(minute, edge, 10L, 1L, 10L), (minute, version, 15L, 1L, 15L), (minute.AddMinutes(1), version, 7L, 2L, 7L)],
            held.Select(r => (r.Minute, r.Series, r.Requests, r.Failures, r.LatencyBucketCounts.Sum())).OrderBy(r => r.Minute).ThenBy(r => r.Series.Kind));
    }

    [Fact]
    public void Record_CountsRouteRulesPerMinute_NamedByNamespaceRouteAndRule()
    {
        var rollups = new MinuteRollups(time);
        var report = new Protocol.Mesh.Stats { Routes = { new RouteStats { Route = "shop/orders/canary", Requests = 6, Failures = 2 } } };
        rollups.Record(report);
        rollups.Record(report);

        var rollup = Assert.Single(rollups.Snapshot().Rollups);

        Assert.Equal((SignalSeries.Route("shop", "orders", "canary"), 12L, 4L), (rollup.Series, rollup.Requests, rollup.Failures));
    }

    [Fact]
    public void ForgetBefore_DropsCompletedMinutesAndKeepsTheCurrentOne()
    {
        var rollups = new MinuteRollups(time);
        rollups.Record(Report(Direction.Inbound, requests: 3, failures: 0));
        time.Advance(TimeSpan.FromMinutes(1));
        rollups.Record(Report(Direction.Inbound, requests: 4, failures: 0));

        var (_, current) = rollups.Snapshot();
        rollups.ForgetBefore(current);

        var left = Assert.Single(rollups.Snapshot().Rollups);
        Assert.Equal((current, 4L), (left.Minute, left.Requests));
    }

    private static Protocol.Mesh.Stats Report(Direction direction, ulong requests, ulong failures)
    {
        var latency = new LatencyHistogram();
        latency.Buckets.Add(40);
        latency.Counts.Add(requests);
        return new Protocol.Mesh.Stats
        {
            Edges =
            {
                new EdgeStats
                {
                    Direction = direction,
                    SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
                    DestinationService = "orders", DestinationNamespace = "default", DestinationVersion = "v2",
                    Requests = requests, Failures = failures, Latency = latency,
                },
            },
        };
    }

}
