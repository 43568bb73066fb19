namespace Meshwork.Proxy.L4;

/// <summary>
/// Envoy's tcp_proxy idle_timeout for one relayed connection: once no bytes have moved in either direction for the
/// timeout, <see cref="Expired"/> is set and the relay's cancellation fires, which ends both directions and so closes
/// both sides. Reads and writes only stamp the time (<see cref="Touch"/>); the one timer of the connection wakes when
/// the connection could first have been idle long enough and, if bytes moved meanwhile, re-arms for the remainder, so
/// a busy connection costs one timer wake-up per timeout, not a timer per read.
/// </summary>
public sealed class IdleTimer : IAsyncDisposable
{
    private readonly long timeoutMilliseconds;
    private readonly CancellationTokenSource relay;
    private readonly Timer timer;
    private long lastActivity = Environment.TickCount64;
    private volatile bool expired;

    public IdleTimer(TimeSpan timeout, CancellationTokenSource relay)
    {
        timeoutMilliseconds = Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
        this.relay = relay;
        // Armed after the field is set: a very short timeout could otherwise fire before the constructor returns.
        timer = new Timer(static state => ((IdleTimer)state!).Check(), this, Timeout.Infinite, Timeout.Infinite);
        timer.Change(timeoutMilliseconds, Timeout.Infinite);
    }

    /// <summary>True once the connection was closed for being idle (not for an error or either side closing).</summary>
    public bool Expired => expired;

    /// <summary>Bytes moved: a plain write of a coarse clock (no allocation, no timer change).</summary>
    public void Touch() => Volatile.Write(ref lastActivity, Environment.TickCount64);

    private void Check()
    {
        var idleFor = Environment.TickCount64 - Volatile.Read(ref lastActivity);
        try
        {
            if (idleFor < timeoutMilliseconds)
            {
                timer.Change(timeoutMilliseconds - idleFor, Timeout.Infinite);
                return;
            }
            expired = true;
            relay.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The relay ended while this check ran: nothing is left to close.
        }
    }

    /// <summary>Completes once no check is running, so the relay's cancellation source can be disposed after it.</summary>
    public ValueTask DisposeAsync() => timer.DisposeAsync();
}
