using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.ControlPlane;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.ControlPlane;

/// <summary>What goes up to the control plane: one delta per edge, and per route rule only what the calling side routed by a snapshot rule.</summary>
public sealed class StatsMessageBuilderTests
{
    [Fact]
    public void Build_AddsUpEachSnapshotRuleOfTheCallingSide_AndLeavesOutUnroutedAndInboundRequests()
    {
        var report = new ProxyStatsReport
        {
            ProxyId = "web-1",
            From = DateTimeOffset.UnixEpoch,
            To = DateTimeOffset.UnixEpoch.AddSeconds(1),
            Traffic =
            [
                Cell(Direction.Outbound, "shop/orders/canary", "2xx", requests: 7, failures: 0),
                Cell(Direction.Outbound, "shop/orders/canary", "5xx", requests: 3, failures: 3),
                Cell(Direction.Outbound, "shop/orders/0", "2xx", requests: 4, failures: 0),
                Cell(Direction.Outbound, "none", "4xx", requests: 5, failures: 0),
                Cell(Direction.Outbound, "bad-path", "4xx", requests: 1, failures: 0),
                Cell(Direction.Inbound, "inbound", "2xx", requests: 9, failures: 0),
            ],
        };

        var stats = StatsMessageBuilder.Build(report);

        Assert.Equal([("shop/orders/0", 4UL, 0UL, 4UL), ("shop/orders/canary", 10UL, 3UL, 10UL)],
            stats.Routes.Select(r => (r.Route, r.Requests, r.Failures, r.Latency.Counts.Aggregate(0UL, (a, b) => a + b))).OrderBy(r => r.Route));
        Assert.Equal(29UL, stats.Edges.Aggregate(0UL, (sum, edge) => sum + edge.Requests));
    }

    private static TrafficStats Cell(Direction direction, string route, string statusClass, long requests, long failures)
    {
        var latency = new LatencyHistogram();
        latency.Buckets.Add(40);
        latency.Counts.Add((ulong)requests);
        return new TrafficStats
        {
            Key = new TrafficKey(direction, "web", "shop", "v1", "orders", "shop", "v1", route, statusClass),
            Requests = requests,
            Failures = failures,
            Latency = latency,
        };
    }
}
