namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Ten one-second buckets of one TCP edge's counts, keyed by the control plane's clock (arrival second) as
/// <see cref="SignalWindow"/> is. Not thread-safe: <see cref="TcpStatsAggregator"/> guards it.
/// </summary>
internal sealed class TcpWindow
{
    private readonly long[] bucketSecond = new long[SignalWindow.Seconds];
    private readonly TcpCounts[] buckets = new TcpCounts[SignalWindow.Seconds];

    public long LastSecond { get; private set; }

    public void Add(long second, TcpCounts counts)
    {
        var slot = (int)(second % SignalWindow.Seconds);
        if (bucketSecond[slot] != second)
        {
            bucketSecond[slot] = second;
            buckets[slot] = default;
        }
        buckets[slot] += counts;
        LastSecond = Math.Max(LastSecond, second);
    }

    /// <summary>The counts over the <see cref="SignalWindow.Seconds"/> seconds ending at <paramref name="nowSecond"/>.</summary>
    public TcpCounts Sum(long nowSecond)
    {
        TcpCounts sum = default;
        for (var i = 0; i < SignalWindow.Seconds; i++)
            if (bucketSecond[i] > nowSecond - SignalWindow.Seconds && bucketSecond[i] <= nowSecond)
                sum += buckets[i];
        return sum;
    }
}

/// <summary>One TCP edge's counts over some seconds (validated per report, so sums stay far from overflowing).</summary>
internal readonly record struct TcpCounts(ulong Opened, ulong Closed, ulong ReceivedBytes, ulong SentBytes, ulong ConnectFailures, ulong Denied,
    ulong ClosedDurationMs)
{
    public static TcpCounts operator +(TcpCounts a, TcpCounts b) => new(a.Opened + b.Opened, a.Closed + b.Closed, a.ReceivedBytes + b.ReceivedBytes,
        a.SentBytes + b.SentBytes, a.ConnectFailures + b.ConnectFailures, a.Denied + b.Denied, a.ClosedDurationMs + b.ClosedDurationMs);

    public static TcpCounts Of(Protocol.Mesh.TcpEdgeStats edge) => new(edge.Opened, edge.Closed, edge.ReceivedBytes, edge.SentBytes,
        edge.ConnectFailures, edge.Denied, edge.ClosedDurationMs);
}
