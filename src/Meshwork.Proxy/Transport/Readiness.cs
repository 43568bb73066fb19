using System.Threading.Tasks.Sources;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// One direction (readable or writable) of an edge-triggered socket: the event loop bumps a
/// generation on every event, and the one reader (or writer) of that direction waits until the
/// generation moves past the one it saw before its last attempt, so an event that arrives between
/// the attempt and the wait is never lost. Lock-free: both sides publish with a full fence and then
/// read the other's flag, and whoever takes the waiting flag back completes the wait. The
/// continuation runs inline on the signalling thread (the event loop), as nginx handles an event
/// where it is reported.
/// </summary>
internal sealed class Readiness : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> core;
    private int generation;
    private int waiting;

    public int Generation => Volatile.Read(ref generation);

    public void Signal()
    {
        Interlocked.Increment(ref generation);
        if (Volatile.Read(ref waiting) == 1 && Interlocked.Exchange(ref waiting, 0) == 1)
            core.SetResult(true);
    }

    /// <summary>Completes once an event newer than <paramref name="seen"/> arrived (at once if one already did).</summary>
    public ValueTask WaitAsync(int seen)
    {
        if (Volatile.Read(ref generation) != seen)
            return default;
        core.Reset();
        Interlocked.Exchange(ref waiting, 1);
        if (Volatile.Read(ref generation) != seen && Interlocked.Exchange(ref waiting, 0) == 1)
            return default;
        return new ValueTask(this, core.Version);
    }

    void IValueTaskSource.GetResult(short token) => core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
