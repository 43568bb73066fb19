using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Ten one-second buckets for one edge or service version. Buckets are keyed by the control
/// plane's clock (arrival second), so skewed proxy clocks cannot move traffic between windows.
/// Not thread-safe: <see cref="StatsAggregator"/> guards it.
/// </summary>
internal sealed class SignalWindow
{
    public const int Seconds = 10;

    private readonly long[] bucketSecond = new long[Seconds];
    private readonly ulong[] requests = new ulong[Seconds];
    private readonly ulong[] failures = new ulong[Seconds];
    private readonly MergedHistogram?[] latency = new MergedHistogram?[Seconds];

    public long LastSecond { get; private set; }

    public void Add(long second, ulong requestCount, ulong failureCount, Protocol.Mesh.LatencyHistogram? histogram)
    {
        var slot = (int)(second % Seconds);
        if (bucketSecond[slot] != second)
        {
            bucketSecond[slot] = second;
            requests[slot] = 0;
            failures[slot] = 0;
            latency[slot] = null;
        }
        requests[slot] += requestCount;
        failures[slot] += failureCount;
        if (histogram is { Buckets.Count: > 0 })
            (latency[slot] ??= new MergedHistogram()).Add(histogram);
        LastSecond = Math.Max(LastSecond, second);
    }

    /// <summary>Golden signals over the <see cref="Seconds"/> seconds ending at <paramref name="nowSecond"/>.</summary>
    public GoldenSignals Compute(long nowSecond)
    {
        ulong totalRequests = 0, totalFailures = 0;
        var merged = new MergedHistogram();
        for (var i = 0; i < Seconds; i++)
        {
            if (bucketSecond[i] <= nowSecond - Seconds || bucketSecond[i] > nowSecond) continue;
            totalRequests += requests[i];
            totalFailures += failures[i];
            if (latency[i] is { } histogram) merged.Add(histogram);
        }
        return GoldenSignalsMerge.FromCounts(totalRequests, totalFailures, totalRequests / (double)Seconds, Seconds, merged);
    }
}
