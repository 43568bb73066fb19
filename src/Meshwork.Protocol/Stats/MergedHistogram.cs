using Meshwork.Protocol.Mesh;

namespace Meshwork.Protocol.Stats;

/// <summary>Adds sparse histograms together and reads percentiles from the sum.</summary>
public sealed class MergedHistogram
{
    private readonly ulong[] counts = new ulong[LatencyBuckets.Count];

    public ulong Total { get; private set; }

    public void Add(LatencyHistogram histogram)
    {
        var n = Math.Min(histogram.Buckets.Count, histogram.Counts.Count);
        for (var i = 0; i < n; i++)
        {
            var bucket = (int)Math.Min(histogram.Buckets[i], LatencyBuckets.Count - 1);
            counts[bucket] += histogram.Counts[i];
            Total += histogram.Counts[i];
        }
    }

    public void Add(MergedHistogram other)
    {
        for (var i = 0; i < counts.Length; i++) counts[i] += other.counts[i];
        Total += other.Total;
    }

    /// <summary>Adds dense counts (index = bucket), as <see cref="BucketCounts"/> returns them.</summary>
    public void Add(IReadOnlyList<ulong> bucketCounts)
    {
        for (var i = 0; i < Math.Min(bucketCounts.Count, counts.Length); i++)
        {
            counts[i] += bucketCounts[i];
            Total += bucketCounts[i];
        }
    }

    /// <summary>The counts per bucket (index = bucket) up to the last non-empty one.</summary>
    public IEnumerable<ulong> BucketCounts()
    {
        var length = counts.Length;
        while (length > 0 && counts[length - 1] == 0) length--;
        return counts.Take(length);
    }

    /// <summary>The latency (ms) below which <paramref name="quantile"/> of the samples fall; 0 when empty.</summary>
    public double PercentileMs(double quantile)
    {
        if (Total == 0) return 0;
        var rank = (ulong)Math.Ceiling(quantile * Total);
        if (rank == 0) rank = 1;
        ulong seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank) return LatencyBuckets.MidpointMicros(i) / 1000.0;
        }
        return LatencyBuckets.UpperBoundMicros(LatencyBuckets.Count - 1) / 1000.0;
    }
}
