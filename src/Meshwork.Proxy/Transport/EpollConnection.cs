using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// One accepted connection as Kestrel sees it: two pipes, filled and drained by a receive and a
/// send loop over an <see cref="EpollSocket"/>. Both pipes schedule inline, as Kestrel's socket
/// transport does with UnsafePreferInlineScheduling: bytes read on the event loop are parsed and
/// proxied on that thread, and a response written by the request is sent from the writing thread.
/// The features are those Kestrel's own transports offer, and <see cref="IDirectSocketFeature"/>: the
/// receive loop starts only once someone asks for the input pipe, and the lean HTTP/1.1 path may serve
/// the socket itself before that.
/// </summary>
internal sealed class EpollConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, ISocketDescriptorFeature,
    IDirectSocketFeature
{
    // inputMode: nobody has read yet, the socket is served directly, or the receive loop fills the input pipe.
    private const int InputIdle = 0;
    private const int InputDirect = 1;
    private const int InputPiped = 2;

    // Kestrel's defaults (KestrelServerLimits.MaxRequestBufferSize / MaxResponseBufferSize).
    private const long MaxReadBuffer = 1024 * 1024;
    private const long MaxWriteBuffer = 64 * 1024;
    private const int MinimumReadSize = 2048;

    private readonly EpollSocket socket;
    private readonly Pipe input;
    private readonly Pipe output;
    private readonly CancellationTokenSource closed = new();
    private readonly DeferredSend deferredSend = new();
    private Task receiving = Task.CompletedTask;
    private Task sending = Task.CompletedTask;
    private volatile ConnectionAbortedException? abortReason;
    private int closedSignalled;
    private int inputMode;

    public EpollConnection(EpollSocket socket, string connectionId, MemoryPool<byte> memoryPool)
    {
        this.socket = socket;
        ConnectionId = connectionId;
        MemoryPool = memoryPool;
        input = new Pipe(new PipeOptions(memoryPool, PipeScheduler.Inline, PipeScheduler.Inline, MaxReadBuffer, MaxReadBuffer / 2, useSynchronizationContext: false));
        output = new Pipe(new PipeOptions(memoryPool, PipeScheduler.Inline, PipeScheduler.Inline, MaxWriteBuffer, MaxWriteBuffer / 2, useSynchronizationContext: false));
        Transport = new DuplexPipe(this);
        LocalEndPoint = Libc.LocalEndPoint(socket.Fd);
        RemoteEndPoint = Libc.RemoteEndPoint(socket.Fd);
        ConnectionClosed = closed.Token;
        Features = new FeatureCollection();
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IMemoryPoolFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<ISocketDescriptorFeature>(this);
        Features.Set<IDirectSocketFeature>(this);
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; }
    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }
    public MemoryPool<byte> MemoryPool { get; }

    /// <summary>Starts the send loop; the receive loop starts when the input pipe is first asked for (or at a direct hand-over).</summary>
    public void Start() => sending = SendAsync();

    private PipeReader PipedInput()
    {
        if (Volatile.Read(ref inputMode) != InputPiped && Interlocked.CompareExchange(ref inputMode, InputPiped, InputIdle) == InputIdle)
            receiving = ReceiveAsync();
        return input.Reader;
    }

    EpollSocket? IDirectSocketFeature.TakeSocket() =>
        Interlocked.CompareExchange(ref inputMode, InputDirect, InputIdle) == InputIdle ? socket : null;

    void IDirectSocketFeature.HandOver(ReadOnlySpan<byte> unconsumed, bool ended)
    {
        if (Interlocked.CompareExchange(ref inputMode, InputPiped, InputDirect) != InputDirect)
            throw new InvalidOperationException("The socket is not served directly.");
        var writer = input.Writer;
        // Nobody reads the pipe yet, and the bytes are far below its pause threshold: the flush completes at once.
        writer.Write(unconsumed);
        _ = writer.FlushAsync();
        if (ended)
        {
            writer.Complete();
            SignalClosed();
        }
        else
        {
            receiving = ReceiveAsync();
        }
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        this.abortReason = abortReason;
        socket.Shutdown();
        output.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        // The pipes themselves (asking the transport for its input would start the receive loop).
        input.Reader.Complete();
        output.Writer.Complete();
        await receiving;
        await sending;
        socket.Dispose();
        closed.Dispose();
    }

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        var writer = input.Writer;
        try
        {
            // A new connection is tried at once: the client usually sent its request with the handshake.
            var drained = false;
            var seen = socket.Readable.Generation;
            while (true)
            {
                if (drained)
                {
                    await socket.Readable.WaitAsync(seen);
                    if (abortReason is not null || socket.IsDisposed)
                        break;
                }
                seen = socket.Readable.Generation;
                var memory = writer.GetMemory(MinimumReadSize);
                var read = socket.Receive(memory.Span);
                if (read > 0)
                {
                    writer.Advance(read);
                    drained = socket.Drained(read, memory.Length);
                    var flush = await writer.FlushAsync();
                    if (flush.IsCompleted || flush.IsCanceled)
                        break;
                }
                else if (read == 0)
                {
                    break;
                }
                else if (read == -Libc.EAGAIN)
                {
                    drained = true;
                }
                else
                {
                    error = new ConnectionResetException("The client's connection failed.", Libc.Error(-read));
                    break;
                }
            }
        }
        catch (Exception exception)
        {
            error = exception;
        }
        finally
        {
            writer.Complete(abortReason ?? error);
            SignalClosed();
        }
    }

    private async Task SendAsync()
    {
        Exception? error = null;
        var reader = output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                if (result.IsCanceled)
                    break;
                var buffer = result.Buffer;
                if (!buffer.IsEmpty && deferredSend.TryDefer(out var turn))
                    await turn;
                while (!buffer.IsEmpty)
                {
                    var seen = socket.Writable.Generation;
                    var sent = socket.Send(buffer);
                    if (sent > 0)
                    {
                        buffer = buffer.Slice(sent);
                    }
                    else if (sent == -Libc.EAGAIN)
                    {
                        await socket.Writable.WaitAsync(seen);
                        if (abortReason is not null || socket.IsDisposed)
                            return;
                    }
                    else
                    {
                        throw new ConnectionResetException("The client's connection failed.", Libc.Error(-sent));
                    }
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (Exception exception)
        {
            error = exception;
        }
        finally
        {
            reader.Complete(error);
            // Nothing more will be sent: end the connection, which also ends the receive loop.
            socket.Shutdown();
        }
    }

    /// <summary>Kestrel's request-aborted callbacks run on the thread pool, never inside the event loop.</summary>
    private void SignalClosed()
    {
        if (Interlocked.Exchange(ref closedSignalled, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static source => Cancel(source), closed, preferLocal: false);
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection was disposed before the callback ran: nobody is left to notify.
        }
    }

    MemoryPool<byte> IMemoryPoolFeature.MemoryPool => MemoryPool;

    int ISocketDescriptorFeature.SocketDescriptor => socket.Fd;

    void IConnectionLifetimeFeature.Abort() => Abort(new ConnectionAbortedException("The connection was aborted by the application."));

    /// <summary>Kestrel's view of the pipes: the first use of the input starts the receive loop.</summary>
    private sealed class DuplexPipe(EpollConnection connection) : IDuplexPipe
    {
        public PipeReader Input => connection.PipedInput();
        public PipeWriter Output => connection.output.Writer;
    }
}
