using Meshwork.Protocol.Stats;

namespace Meshwork.ControlPlane.Tests.Stats;

public sealed class MergedHistogramTests
{
    [Fact]
    public void PercentileMs_MergedFromTwoProxies_ReflectsCombinedDistribution()
    {
        var fast = new LatencyRecorder();
        var slow = new LatencyRecorder();
        for (var i = 0; i < 98; i++) fast.Record(TimeSpan.FromMilliseconds(2));
        for (var i = 0; i < 2; i++) slow.Record(TimeSpan.FromMilliseconds(200));

        var merged = new MergedHistogram();
        merged.Add(fast.Drain());
        merged.Add(slow.Drain());

        Assert.Equal(100UL, merged.Total);
        Assert.InRange(merged.PercentileMs(0.50), 1.9, 2.1);
        Assert.InRange(merged.PercentileMs(0.98), 1.9, 2.1);
        Assert.InRange(merged.PercentileMs(0.99), 190, 210);
    }

    [Fact]
    public void Drain_ResetsTheRecorder()
    {
        var recorder = new LatencyRecorder();
        recorder.Record(TimeSpan.FromMilliseconds(5));

        Assert.Single(recorder.Drain().Counts);
        Assert.Empty(recorder.Drain().Counts);
    }
}
