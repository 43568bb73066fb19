using System.Threading.Channels;
using Meshwork.ControlPlane.Registry;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Tap;

/// <summary>
/// One watcher of a service's tap (one Tap call). Its buffer is bounded: a watcher that reads too
/// slowly loses samples (counted in <see cref="TakeDropped"/>) and never makes the control plane hold more.
/// </summary>
public sealed class TapWatcher : IDisposable
{
    public const int BufferCapacity = 400;

    private readonly TapHub hub;
    private readonly Channel<RequestSample> buffer = Channel.CreateBounded<RequestSample>(
        new BoundedChannelOptions(BufferCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private long dropped;
    private int disposed;

    internal TapWatcher(TapHub hub, ServiceRef service)
    {
        this.hub = hub;
        Service = service;
    }

    public ServiceRef Service { get; }

    public ChannelReader<RequestSample> Samples => buffer.Reader;

    /// <summary>Samples lost (at the proxies or here) since the previous call.</summary>
    public ulong TakeDropped() => (ulong)Interlocked.Exchange(ref dropped, 0);

    internal void Offer(IReadOnlyList<RequestSample> samples, ulong droppedAtProxy)
    {
        var lost = (long)Math.Min(droppedAtProxy, (ulong)int.MaxValue);
        foreach (var sample in samples)
            if (!buffer.Writer.TryWrite(sample)) lost++;
        if (lost > 0) Interlocked.Add(ref dropped, lost);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        buffer.Writer.TryComplete();
        hub.Leave(this);
    }
}
