namespace Meshwork.Proxy.L4;

/// <summary>
/// The bytes one relayed connection moved, counted by its two copy loops as they go and moved into its edge's counts
/// (<see cref="TcpMetrics"/>) while the connection is open (at each stats report and metrics scrape) and when it ends,
/// so a long-lived connection shows its throughput instead of all of it at the end.
/// </summary>
public sealed class TcpConnectionMeter(TcpEdge edge)
{
    private long received;
    private long sent;
    private long flushedReceived;
    private long flushedSent;

    public TcpEdge Edge { get; } = edge;

    /// <summary>Bytes read from the side that opened the connection (and written on).</summary>
    public void AddReceived(long bytes) => Interlocked.Add(ref received, bytes);

    /// <summary>Bytes written back to the side that opened the connection.</summary>
    public void AddSent(long bytes) => Interlocked.Add(ref sent, bytes);

    /// <summary>What moved since the previous call (a flush at a report and the one at the end may race: the lock keeps each byte counted once).</summary>
    internal (long Received, long Sent) TakeUnflushed()
    {
        lock (this)
        {
            var nowReceived = Interlocked.Read(ref received);
            var nowSent = Interlocked.Read(ref sent);
            var delta = (nowReceived - flushedReceived, nowSent - flushedSent);
            (flushedReceived, flushedSent) = (nowReceived, nowSent);
            return delta;
        }
    }
}
