using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// An upstream connection on the event loops, handed to SocketsHttpHandler through its
/// ConnectCallback (TLS, when the cluster uses it, is layered on top by the handler). Reads follow
/// <see cref="EpollSocket"/>'s rule: after a read that drained the socket the next one waits for an
/// event, so the handler's zero-byte read-ahead on an idle pooled connection costs no syscall.
/// </summary>
internal sealed class EpollStream : Stream
{
    private readonly EpollSocket socket;
    private readonly DeferredSend deferredSend = new();
    private bool drained;
    private int drainedAt;

    private EpollStream(EpollSocket socket) => this.socket = socket;

    public static async ValueTask<Stream> ConnectAsync(EpollLoops loops, DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectAsync(loops, new IPEndPoint(address, endpoint.Port), cancellationToken);
            }
            catch (SocketException exception)
            {
                last = exception;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async ValueTask<Stream> ConnectAsync(EpollLoops loops, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = EpollSocket.Connect(endpoint, loops.Next(), handler: null, out var connected);
        try
        {
            if (!connected)
            {
                // Generation 0: whatever the loop reported since registration counts.
                await using (cancellationToken.UnsafeRegister(static state => ((EpollSocket)state!).Dispose(), socket))
                    await socket.Writable.WaitAsync(0);
                cancellationToken.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(socket.IsDisposed, typeof(EpollStream));
                var errno = socket.PendingError();
                if (errno != 0)
                    throw Libc.Error(errno);
            }
            return new EpollStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!drained)
        {
            // A zero-byte read asks to wait for data: with the socket not known to be drained, there may be some.
            if (buffer.IsEmpty)
                return new ValueTask<int>(0);
            var read = TryRead(buffer.Span);
            if (read >= 0)
                return new ValueTask<int>(read);
        }
        return ReadWhenReadableAsync(buffer, cancellationToken);
    }

    // Pooled: a read that waits is the common case on a proxy (the response after the request), and a
    // plain async ValueTask method would allocate its state machine on every such wait.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadWhenReadableAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitAsync(socket.Readable, drainedAt, cancellationToken);
            ThrowIfClosed();
            drained = false;
            if (buffer.IsEmpty)
                return 0;
            var read = TryRead(buffer.Span);
            if (read >= 0)
                return read;
        }
    }

    /// <summary>Bytes read, or -1 when the socket is drained (then <see cref="drained"/> is set).</summary>
    private int TryRead(Span<byte> buffer)
    {
        var seen = socket.Readable.Generation;
        var read = socket.Receive(buffer);
        if (read >= 0)
        {
            if (read > 0 && socket.Drained(read, buffer.Length))
                MarkDrained(seen);
            return read;
        }
        if (read == -Libc.EAGAIN)
        {
            MarkDrained(seen);
            return -1;
        }
        throw new IOException("The upstream connection failed.", Libc.Error(-read));
    }

    private void MarkDrained(int seen)
    {
        drained = true;
        drainedAt = seen;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
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

    private ValueTask WriteNowAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var seen = socket.Writable.Generation;
            var sent = socket.Send(buffer.Span);
            if (sent == -Libc.EAGAIN)
                return WriteWhenWritableAsync(buffer, seen, cancellationToken);
            if (sent < 0)
                throw new IOException("The upstream connection failed.", Libc.Error(-sent));
            buffer = buffer[sent..];
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteWhenWritableAsync(ReadOnlyMemory<byte> buffer, int seen, CancellationToken cancellationToken)
    {
        await WaitAsync(socket.Writable, seen, cancellationToken);
        ThrowIfClosed();
        await WriteNowAsync(buffer, cancellationToken);
    }

    /// <summary>Waits for the direction's next event; a cancellable wait ends the connection when cancelled.</summary>
    private ValueTask WaitAsync(Readiness readiness, int seen, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? WaitCancellableAsync(readiness, seen, cancellationToken) : readiness.WaitAsync(seen);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitCancellableAsync(Readiness readiness, int seen, CancellationToken cancellationToken)
    {
        // As SocketsHttpHandler does with a cancelled request's connection.
        await using (cancellationToken.UnsafeRegister(static state => ((EpollSocket)state!).Dispose(), socket))
            await readiness.WaitAsync(seen);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void ThrowIfClosed()
    {
        if (socket.IsDisposed)
            throw new IOException("The upstream connection was closed.", new ObjectDisposedException(nameof(EpollStream)));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The forwarder only reads and writes asynchronously. A blocking caller waits for an event the
    // loop delivers, so it must not be on an event-loop thread; its writes are never deferred.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteNowAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            socket.Dispose();
        base.Dispose(disposing);
    }
}
