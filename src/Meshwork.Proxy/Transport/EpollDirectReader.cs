using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// An epoll connection's input read by its consumer straight from the socket, before the connection's input pipe and
/// receive loop run (<see cref="IDirectIoFeature"/>): a read receives on the reading thread into one buffer and returns
/// every unconsumed byte in it, with a pipe's consumed/examined rules. Reads follow <see cref="EpollSocket"/>'s: after a
/// read that drained the socket the next one waits for an event. The end of the stream, or a failure, is reported to
/// <paramref name="onEnd"/> (the connection's closed signal) once.
/// </summary>
internal sealed class EpollDirectReader(EpollSocket socket, Action onEnd) : PipeReader
{
    private const int InitialBuffer = 4096;

    /// <summary>
    /// Largest unconsumed input held. The lean path looks at most at a request head (Kestrel's limits, under 48 KiB)
    /// and consumes a body as it arrives, so a full buffer means the consumer has what it needs.
    /// </summary>
    private const int MaxBuffer = 64 * 1024;

    private byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    // Unconsumed bytes are buffer[start..end]; the consumer has examined up to buffer[examined].
    private int start;
    private int end;
    private int examined;
    private bool ended;
    private Exception? failure;
    private bool drained;
    private int drainedAt;
    private bool cancelPending;
    private ReadOnlySequence<byte> returned;
    private int returnedAt;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (end > examined || ended || cancelPending)
            return new ValueTask<ReadResult>(Result());
        return ReceiveAsync(cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (end > examined || ended || cancelPending)
        {
            result = Result();
            return true;
        }
        result = default;
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (cancelPending || socket.IsDisposed)
            {
                if (socket.IsDisposed)
                    End(null);
                return Result();
            }
            if (!drained && Receive())
                return Result();
            await WaitAsync(drainedAt, cancellationToken);
            drained = false;
        }
    }

    /// <summary>One receive after the unconsumed bytes: true when it ended the wait (bytes, the end, a failure, a full buffer).</summary>
    private bool Receive()
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            examined -= start;
            start = 0;
        }
        if (end == buffer.Length)
        {
            if (buffer.Length >= MaxBuffer)
                return true;
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBuffer));
            buffer.AsSpan(0, end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
        var seen = socket.Readable.Generation;
        var capacity = buffer.Length - end;
        var read = socket.Receive(buffer.AsSpan(end, capacity));
        if (read > 0)
        {
            end += read;
            if (socket.Drained(read, capacity))
                (drained, drainedAt) = (true, seen);
            return true;
        }
        if (read == -Libc.EAGAIN)
        {
            (drained, drainedAt) = (true, seen);
            return false;
        }
        End(read == 0 ? null : new ConnectionResetException("The client's connection failed.", Libc.Error(-read)));
        return true;
    }

    /// <summary>Waits for the next readable event; a cancellation wakes the wait without closing anything (the caller checks the token).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitAsync(int seen, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            await socket.Readable.WaitAsync(seen);
            return;
        }
        await using (cancellationToken.UnsafeRegister(static readable => ((Readiness)readable!).Signal(), socket.Readable))
            await socket.Readable.WaitAsync(seen);
    }

    private void End(Exception? error)
    {
        if (ended)
            return;
        ended = true;
        failure = error;
        onEnd();
    }

    private ReadResult Result()
    {
        if (failure is not null)
            throw failure;
        var canceled = cancelPending;
        cancelPending = false;
        returned = new ReadOnlySequence<byte>(buffer, start, end - start);
        returnedAt = start;
        return new ReadResult(returned, canceled, ended);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // Offsets from the returned sequence's own slices: no assumption about how a position encodes its index.
        start = returnedAt + (int)returned.Slice(returned.Start, consumed).Length;
        this.examined = Math.Max(start, returnedAt + (int)returned.Slice(returned.Start, examined).Length);
        if (start == end)
            start = end = this.examined = 0;
    }

    public override void CancelPendingRead()
    {
        cancelPending = true;
        socket.Readable.Signal();
    }

    /// <summary>The bytes received and not consumed, and whether the stream ended (or failed: then its error) after them.</summary>
    public (ReadOnlyMemory<byte> Unconsumed, bool Ended, Exception? Failure) Remaining => (buffer.AsMemory(start, end - start), ended, failure);

    public override void Complete(Exception? exception = null)
    {
        var rented = Interlocked.Exchange(ref buffer, []);
        if (rented.Length > 0)
            ArrayPool<byte>.Shared.Return(rented);
        start = end = examined = 0;
    }
}
