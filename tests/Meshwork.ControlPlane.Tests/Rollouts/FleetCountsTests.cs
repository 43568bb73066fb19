using Meshwork.ControlPlane.Rollouts;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>How an interval's counts are merged from every replica's running totals.</summary>
public sealed class FleetCountsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Since_SumsEachWritersDifference_CountsAWriterNewSinceTheReadingFromZero_AndSkipsOneItMissed()
    {
        var earlier = new VersionReading(T0, [new WriterCounts("cp-1/a", T0.AddMinutes(-5), 100, 1, [90, 10]), new WriterCounts("cp-2/a", T0.AddMinutes(-5), 40, 0, [40])]);
        var later = new VersionReading(T0.AddSeconds(30),
        [
            new WriterCounts("cp-1/a", T0.AddMinutes(-5), 130, 3, [110, 20]),
            new WriterCounts("cp-2/a", T0.AddMinutes(-5), 50, 0, [50]),
            // A replica whose proxies began reporting the version after the earlier reading: all of it is in the interval.
            new WriterCounts("cp-3/a", T0.AddSeconds(10), 7, 1, [0, 0, 7]),
            // Written before the earlier reading yet not in it: what part falls in the interval is unknown, so none is counted.
            new WriterCounts("cp-4/a", T0.AddSeconds(-1), 1000, 1000, [1000]),
        ]);

        var interval = FleetCounts.Since(later, earlier);

        Assert.Equal((30UL + 10 + 7, 2UL + 0 + 1), (interval.Requests, interval.Failures));
        Assert.Equal([20UL + 10, 10, 7], interval.LatencyBucketCounts);
    }
}
