using System.Threading.Tasks.Sources;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A send postponed to the end of the event loop's current batch (<see cref="EpollLoop.TryDefer"/>).
/// Created, queued and completed on the loop thread only, so it needs no synchronisation.
/// </summary>
internal sealed class DeferredSend : IValueTaskSource, IDeferredAction
{
    private ManualResetValueTaskSourceCore<bool> core;

    /// <summary>Queues the send on the current thread's event loop; false off the loop threads (send at once).</summary>
    public bool TryDefer(out ValueTask turn)
    {
        core.Reset();
        if (EpollLoop.TryDefer(this))
        {
            turn = new ValueTask(this, core.Version);
            return true;
        }
        turn = default;
        return false;
    }

    public void Run() => core.SetResult(true);

    void IValueTaskSource.GetResult(short token) => core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
