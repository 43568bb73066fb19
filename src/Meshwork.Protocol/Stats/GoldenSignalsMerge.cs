using Meshwork.Protocol.Status;

namespace Meshwork.Protocol.Stats;

/// <summary>
/// Golden signals from request counts and a latency histogram, and the sum of the signals several
/// control plane replicas report for the same edge or service version (each replica aggregates only
/// the proxies connected to it). Counts and rates add; success rate and percentiles are read again
/// from the sums, never averaged, so merged halves give what one control plane would have seen.
/// </summary>
public static class GoldenSignalsMerge
{
    public static GoldenSignals FromCounts(ulong requests, ulong failures, double rps, int windowSeconds, MergedHistogram latency) => new()
    {
        Requests = requests,
        Failures = failures,
        Rps = rps,
        SuccessRate = requests == 0 ? 1 : (requests - Math.Min(failures, requests)) / (double)requests,
        P50Ms = latency.PercentileMs(0.50),
        P95Ms = latency.PercentileMs(0.95),
        P99Ms = latency.PercentileMs(0.99),
        WindowSeconds = windowSeconds,
        LatencyBucketCounts = { latency.BucketCounts() },
    };

    public static GoldenSignals Merge(IReadOnlyCollection<GoldenSignals> parts)
    {
        // One part stays exactly as reported: a control plane older than latency_bucket_counts keeps
        // its percentiles when it is the only one reporting.
        if (parts.Count == 1)
            return parts.First();
        ulong requests = 0, failures = 0;
        double rps = 0;
        var windowSeconds = 0;
        var latency = new MergedHistogram();
        foreach (var part in parts)
        {
            requests += part.Requests;
            failures += part.Failures;
            rps += part.Rps;
            windowSeconds = Math.Max(windowSeconds, part.WindowSeconds);
            latency.Add(part.LatencyBucketCounts);
        }
        return FromCounts(requests, failures, rps, windowSeconds, latency);
    }
}
