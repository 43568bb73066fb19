using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// Writes on an <see cref="EpollSocket"/> from the writing code itself, with no send loop or pipe in between. On an
/// event-loop thread a send waits for the end of the loop's batch (<see cref="DeferredSend"/>, see <see cref="EpollLoop"/>);
/// off the loops it is made at once. A full socket buffer waits for the writable event. One write at a time.
/// </summary>
internal sealed class EpollSender(EpollSocket socket)
{
    private readonly DeferredSend deferredSend = new();

    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!buffer.IsEmpty && deferredSend.TryDefer(out var turn))
            return WriteInTurnAsync(turn, buffer, cancellationToken);
        return WriteNowAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteInTurnAsync(ValueTask turn, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await turn;
        await WriteNowAsync(buffer, cancellationToken);
    }

    /// <summary>Sends at once (a blocking caller's write is never deferred: it must not wait for a loop it may be blocking).</summary>
    public ValueTask WriteNowAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var seen = socket.Writable.Generation;
            var sent = socket.Send(buffer.Span);
            if (sent == -Libc.EAGAIN)
                return WriteWhenWritableAsync(buffer, seen, cancellationToken);
            if (sent < 0)
                throw new IOException("The connection failed.", Libc.Error(-sent));
            buffer = buffer[sent..];
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteWhenWritableAsync(ReadOnlyMemory<byte> buffer, int seen, CancellationToken cancellationToken)
    {
        await socket.WaitAsync(socket.Writable, seen, cancellationToken);
        socket.ThrowIfDisposed();
        await WriteNowAsync(buffer, cancellationToken);
    }
}
