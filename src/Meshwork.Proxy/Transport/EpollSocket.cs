using System.Net;
using System.Buffers;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A non-blocking TCP socket registered with an <see cref="EpollLoop"/>. Reads follow nginx: a
/// read that fills less than the buffer drained the socket, so the next read waits for an event
/// instead of first trying a receive that would fail with EAGAIN (.NET's socket engine always tries
/// first: one failed syscall per read, bench/proxy.sh). The descriptor is reference-counted
/// (SafeHandle) so a close racing an in-flight call never lets that call reach a reused number.
/// </summary>
internal sealed unsafe class EpollSocket : IDisposable
{
    private const int MaxVectors = 16;

    private readonly Descriptor descriptor;
    private volatile bool disposed;
    // The peer's end of stream (or a reset) was reported. Edge-triggered epoll reports it once: if that
    // report came before the last data was read, a short read is no sign the socket is drained, and
    // waiting for another event would wait forever. Once set, reads always try (nginx's pending_eof).
    private volatile bool peerClosed;

    /// <param name="handler">Set before the socket is registered, so it gets every event (see <see cref="Handler"/>).</param>
    public EpollSocket(int fd, EpollLoop loop, IEpollEventHandler? handler = null)
    {
        Fd = fd;
        Loop = loop;
        Handler = handler;
        descriptor = new Descriptor(fd, loop, this);
        try
        {
            loop.Register(this);
        }
        catch
        {
            // Never registered: close the descriptor here, there is no slot to free.
            descriptor.SetHandleAsInvalid();
            Libc.close(fd);
            throw;
        }
    }

    public int Fd { get; }
    public EpollLoop Loop { get; }
    public int Slot { get; set; }

    /// <summary>
    /// When set, receives the socket's events on the loop thread instead of <see cref="Readable"/> and <see cref="Writable"/>:
    /// the lean HTTP/1.1 path's state machines, which never wait. Set and cleared on the loop thread only.
    /// </summary>
    public IEpollEventHandler? Handler { get; set; }
    public Readiness Readable { get; } = new();
    public Readiness Writable { get; } = new();
    public bool IsDisposed => disposed;

    /// <summary>After a read of <paramref name="read"/> bytes into <paramref name="capacity"/>: must the next one wait for an event?</summary>
    public bool Drained(int read, int capacity) => read < capacity && !peerClosed;

    /// <summary>Event-loop thread: wakes the reader and the writer the event concerns.</summary>
    public void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            peerClosed = true;
        if (Handler is { } handler)
        {
            handler.OnEvents(events);
            return;
        }
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            Readable.Signal();
        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            Writable.Signal();
    }

    /// <summary>Bytes read, 0 at the end of the stream, or -errno (-EAGAIN: nothing to read yet).</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
            return (int)Call(&ReceiveCall, pointer, (nuint)buffer.Length);
    }

    /// <summary>Bytes sent (possibly fewer than given), or -errno.</summary>
    public int Send(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* pointer = buffer)
            return (int)Call(&SendCall, pointer, (nuint)buffer.Length);
    }

    /// <summary>Sends up to 16 segments of the sequence in one call; bytes sent, or -errno.</summary>
    public int Send(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
            return Send(buffer.FirstSpan);
        var vectors = stackalloc Libc.IoVector[MaxVectors];
        var pins = new MemoryHandle[MaxVectors];
        var count = 0;
        try
        {
            foreach (var segment in buffer)
            {
                if (segment.IsEmpty)
                    continue;
                if (count == MaxVectors)
                    break;
                pins[count] = segment.Pin();
                vectors[count] = new Libc.IoVector { Base = (byte*)pins[count].Pointer, Length = (nuint)segment.Length };
                count++;
            }
            var message = new Libc.MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
            return (int)Call(&SendMessageCall, (byte*)&message, 0);
        }
        finally
        {
            for (var i = 0; i < count; i++)
                pins[i].Dispose();
        }
    }

    /// <summary>
    /// Starts a non-blocking TCP connect (no Nagle) on the loop: the socket, registered only once the connect started (an
    /// unconnected socket reports a hang-up at once, a connecting one does not), and whether it connected at once (else its
    /// first writable event tells, and <see cref="PendingError"/> the outcome). A connect refused at once throws.
    /// </summary>
    public static EpollSocket Connect(IPEndPoint endpoint, EpollLoop loop, IEpollEventHandler? handler, out bool connected)
    {
        var fd = Libc.TcpSocket(endpoint.AddressFamily);
        Libc.SetNoDelay(fd);
        var errno = Libc.Connect(fd, endpoint);
        if (errno != 0 && errno != Libc.EINPROGRESS)
        {
            Libc.close(fd);
            throw Libc.Error(errno);
        }
        connected = errno == 0;
        return new EpollSocket(fd, loop, handler);
    }

    /// <summary>A new connection's descriptor (non-blocking), or -errno (-EAGAIN: none waiting).</summary>
    public int Accept() => (int)Call(&AcceptCall, null, 0);

    /// <summary>
    /// One socket call on the descriptor, held against a concurrent close, retried when a signal
    /// interrupted it: its result, or -errno.
    /// </summary>
    private nint Call(delegate*<int, byte*, nuint, nint> call, byte* buffer, nuint length)
    {
        var added = false;
        descriptor.DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                var result = call(Fd, buffer, length);
                if (result >= 0)
                    return result;
                var errno = Libc.Errno;
                if (errno != Libc.EINTR)
                    return -errno;
            }
        }
        finally
        {
            descriptor.DangerousRelease();
        }
    }

    private static nint ReceiveCall(int fd, byte* buffer, nuint length) => Libc.recv(fd, buffer, length, 0);

    private static nint SendCall(int fd, byte* buffer, nuint length) => Libc.send(fd, buffer, length, Libc.MSG_NOSIGNAL);

    private static nint SendMessageCall(int fd, byte* message, nuint _) => Libc.sendmsg(fd, (Libc.MessageHeader*)message, Libc.MSG_NOSIGNAL);

    private static nint AcceptCall(int fd, byte* _, nuint __) => Libc.accept4(fd, null, null, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);

    /// <summary>The outcome of a non-blocking connect (SO_ERROR): 0 or errno.</summary>
    public int PendingError()
    {
        int error = 0, length = sizeof(int);
        return Libc.getsockopt(Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length) == 0 ? error : Libc.Errno;
    }

    /// <summary>Ends both directions: the peer sees the end of the stream, and waits here wake up.</summary>
    public void Shutdown()
    {
        var added = false;
        try
        {
            descriptor.DangerousAddRef(ref added);
            Libc.shutdown(Fd, Libc.SHUT_RDWR);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
                descriptor.DangerousRelease();
        }
        // Shutdown's events arrive through the loop later (and never for a socket not yet connected):
        // wake the reader and the writer now (a writer may wait for room a gone peer will never make).
        Readable.Signal();
        Writable.Signal();
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        // Woken waiters see the socket disposed.
        Shutdown();
        descriptor.Dispose();
    }

    /// <summary>Closes the descriptor once no call uses it, then frees the loop slot.</summary>
    private sealed class Descriptor : SafeHandle
    {
        private readonly EpollLoop loop;
        private readonly EpollSocket socket;

        public Descriptor(int fd, EpollLoop loop, EpollSocket socket) : base(new IntPtr(-1), ownsHandle: true)
        {
            this.loop = loop;
            this.socket = socket;
            SetHandle(new IntPtr(fd));
        }

        public override bool IsInvalid => handle == new IntPtr(-1);

        protected override bool ReleaseHandle()
        {
            Libc.close((int)handle);
            loop.Unregister(socket.Slot);
            return true;
        }
    }
}
