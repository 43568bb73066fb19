using Meshwork.Protocol.Stats;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Counts since a control plane process started, for one service version: an analysis of any interval is
/// the difference of two readings, as with Prometheus counters, so it is not bound to the 10 s window.
/// </summary>
public sealed record SignalTotals(ulong Requests, ulong Failures, IReadOnlyList<ulong> LatencyBucketCounts)
{
    public static readonly SignalTotals Zero = new(0, 0, []);

    /// <summary>What happened between <paramref name="earlier"/> and this reading.</summary>
    public SignalTotals Since(SignalTotals earlier)
    {
        var buckets = new ulong[Math.Max(LatencyBucketCounts.Count, earlier.LatencyBucketCounts.Count)];
        for (var i = 0; i < buckets.Length; i++)
            buckets[i] = At(LatencyBucketCounts, i) - Math.Min(At(earlier.LatencyBucketCounts, i), At(LatencyBucketCounts, i));
        return new SignalTotals(Requests - Math.Min(earlier.Requests, Requests), Failures - Math.Min(earlier.Failures, Failures), buckets);
    }

    /// <summary>Both counts together (two replicas' shares of one interval).</summary>
    public SignalTotals Plus(SignalTotals other)
    {
        var buckets = new ulong[Math.Max(LatencyBucketCounts.Count, other.LatencyBucketCounts.Count)];
        for (var i = 0; i < buckets.Length; i++) buckets[i] = At(LatencyBucketCounts, i) + At(other.LatencyBucketCounts, i);
        return new SignalTotals(Requests + other.Requests, Failures + other.Failures, buckets);
    }

    public double SuccessRatePercent => Requests == 0 ? 100 : 100.0 * (Requests - Math.Min(Failures, Requests)) / Requests;

    public double P99Ms
    {
        get
        {
            var histogram = new MergedHistogram();
            histogram.Add(LatencyBucketCounts);
            return histogram.PercentileMs(0.99);
        }
    }

    private static ulong At(IReadOnlyList<ulong> counts, int i) => i < counts.Count ? counts[i] : 0;
}
