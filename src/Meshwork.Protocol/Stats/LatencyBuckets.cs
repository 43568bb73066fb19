namespace Meshwork.Protocol.Stats;

/// <summary>
/// The fixed log-linear latency buckets every proxy and the control plane share: bucket i holds
/// latencies up to 1.1^i microseconds (10% resolution, 1 µs .. ~2 min in 250 buckets). Fixed
/// bounds make histograms mergeable by adding counts, so fleet-wide percentiles are exact up
/// to bucket resolution instead of averages of per-proxy percentiles.
/// </summary>
public static class LatencyBuckets
{
    public const int Count = 250;
    private const double Growth = 1.1;
    private static readonly double LogGrowth = Math.Log(Growth);
    private static readonly double[] UpperBounds = Enumerable.Range(0, Count).Select(i => Math.Pow(Growth, i)).ToArray();

    public static int IndexOf(double micros)
    {
        if (micros <= 1) return 0;
        var index = (int)Math.Ceiling(Math.Log(micros) / LogGrowth - 1e-9);
        return Math.Clamp(index, 0, Count - 1);
    }

    public static double UpperBoundMicros(int index) => UpperBounds[Math.Clamp(index, 0, Count - 1)];

    /// <summary>A representative value of the bucket: the geometric middle of its bounds.</summary>
    public static double MidpointMicros(int index) =>
        index == 0 ? 1 : Math.Sqrt(UpperBounds[index - 1] * UpperBounds[Math.Min(index, Count - 1)]);
}
