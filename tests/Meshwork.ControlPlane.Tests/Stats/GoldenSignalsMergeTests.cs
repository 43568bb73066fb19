using Meshwork.ControlPlane.Stats;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Tests.Stats;

/// <summary>Golden signals from control plane replicas that each aggregate part of the fleet, merged as the portal does.</summary>
public sealed class GoldenSignalsMergeTests
{
    [Fact]
    public void Merge_TwoReplicasWithHalfTheTrafficEach_SameSignalsAsOneControlPlaneWithAll()
    {
        // 1,000 calls taking 1..1000 ms, every tenth one failed; the first replica's proxies saw the fast
        // 300, the second's the slow 700, so neither half's percentiles resemble the whole's.
        var whole = new StatsAggregator(TimeProvider.System);
        var fast = new StatsAggregator(TimeProvider.System);
        var slow = new StatsAggregator(TimeProvider.System);
        for (var ms = 1; ms <= 1000; ms++)
        {
            var report = Call(TimeSpan.FromMilliseconds(ms), failed: ms % 10 == 0);
            whole.Record(report);
            (ms <= 300 ? fast : slow).Record(report);
        }

        var merged = GoldenSignalsMerge.Merge([Single(fast), Single(slow)]);

        var expected = Single(whole);
        Assert.NotEmpty(expected.LatencyBucketCounts);
        Assert.Equal(expected, merged);
        Assert.Equal((1000UL, 100UL, 0.9, 100.0), (merged.Requests, merged.Failures, merged.SuccessRate, merged.Rps));
        Assert.InRange(merged.P50Ms, 475, 525);
        Assert.InRange(merged.P99Ms, 940, 1040);
    }

    [Fact]
    public void Merge_NoRequestsAnywhere_SuccessRateOneAndNoLatency()
    {
        var idle = new GoldenSignals { SuccessRate = 1, WindowSeconds = 10 };

        var merged = GoldenSignalsMerge.Merge([idle, idle.Clone()]);

        Assert.Equal((0UL, 1.0, 0.0, 10), (merged.Requests, merged.SuccessRate, merged.P99Ms, merged.WindowSeconds));
    }

    [Fact]
    public void Merge_OnePart_KeepsItsPercentilesEvenWithoutBucketCounts()
    {
        // A control plane from before latency_bucket_counts reports percentiles only.
        var older = new GoldenSignals { Requests = 10, Rps = 1, SuccessRate = 1, P50Ms = 3, P95Ms = 8, P99Ms = 9, WindowSeconds = 10 };

        Assert.Same(older, GoldenSignalsMerge.Merge([older]));
    }

    private static GoldenSignals Single(StatsAggregator aggregator) => Assert.Single(aggregator.Edges()).Signals;

    private static Protocol.Mesh.Stats Call(TimeSpan latency, bool failed)
    {
        var recorder = new LatencyRecorder();
        recorder.Record(latency);
        return new Protocol.Mesh.Stats
        {
            Edges =
            {
                new EdgeStats
                {
                    Direction = Direction.Outbound, SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
                    DestinationService = "orders", DestinationNamespace = "default", DestinationVersion = "v1",
                    Requests = 1, Failures = failed ? 1UL : 0, Latency = recorder.Drain(),
                },
            },
        };
    }
}
