using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.Telemetry;

/// <summary>In-process: the per-second report carries deltas; /stats keeps totals.</summary>
public sealed class ProxyStatsTests
{
    private static readonly TrafficKey Ok = new(Direction.Outbound, "web", "default", "v1", "reviews", "default", "v2", "default/reviews/split", "2xx");
    private static readonly TrafficKey Failed = Ok with { StatusClass = "5xx" };

    [Fact]
    public void Drain_AfterRequests_ReturnsDeltasThenNothing()
    {
        var stats = new ProxyStats();
        stats.Record(Ok, TimeSpan.FromMilliseconds(2), wasDenied: false);
        stats.Record(Ok, TimeSpan.FromMilliseconds(4), wasDenied: false);
        stats.Record(Failed, TimeSpan.FromMilliseconds(9), wasDenied: false);

        var first = stats.Drain();

        var ok = Assert.Single(first, s => s.Key == Ok);
        Assert.Equal(2, ok.Requests);
        Assert.Equal(0, ok.Failures);
        Assert.Equal(2ul, ok.Latency.Counts.Aggregate(0ul, (a, b) => a + b));
        Assert.Equal(1, Assert.Single(first, s => s.Key == Failed).Failures);
        Assert.Empty(stats.Drain());
        Assert.Equal(2, stats.Totals().Single(t => t.Key == Ok).Requests);
    }

    [Fact]
    public void Record_Denied_CountedAsDenied()
    {
        var stats = new ProxyStats();
        var denied = Ok with { Direction = Direction.Inbound, StatusClass = "4xx" };
        stats.Record(denied, TimeSpan.FromMilliseconds(1), wasDenied: true);
        Assert.Equal(1, Assert.Single(stats.Drain()).Denied);
    }
}
