using Meshwork.Protocol.Mesh;

namespace Meshwork.Protocol.Stats;

/// <summary>
/// Thread-safe latency counts over <see cref="LatencyBuckets"/>; recording is one interlocked
/// increment so it can sit on the request path.
/// </summary>
public sealed class LatencyRecorder
{
    private readonly long[] counts = new long[LatencyBuckets.Count];

    public void Record(TimeSpan latency) =>
        Interlocked.Increment(ref counts[LatencyBuckets.IndexOf(latency.Ticks / 10.0)]);

    /// <summary>The counts since the last drain, as a sparse histogram; the recorder restarts at zero.</summary>
    public LatencyHistogram Drain()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < counts.Length; i++)
        {
            var count = Interlocked.Exchange(ref counts[i], 0);
            if (count == 0) continue;
            histogram.Buckets.Add((uint)i);
            histogram.Counts.Add((ulong)count);
        }
        return histogram;
    }
}
