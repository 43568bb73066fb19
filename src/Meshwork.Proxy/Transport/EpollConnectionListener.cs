using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A listening TCP socket on the event loops: accepts without blocking, gives each connection
/// TCP_NODELAY (as Kestrel does) and the next event loop in turn.
/// </summary>
internal sealed class EpollConnectionListener : IConnectionListener
{
    private static long connectionCounter = DateTime.UtcNow.Ticks;

    private readonly EpollSocket acceptor;
    private readonly EpollLoops loops;
    private readonly MemoryPool<byte> memoryPool;
    private readonly ILogger logger;
    private volatile bool unbound;

    private EpollConnectionListener(EpollSocket acceptor, EndPoint endPoint, EpollLoops loops, MemoryPool<byte> memoryPool, ILogger logger)
    {
        this.acceptor = acceptor;
        EndPoint = endPoint;
        this.loops = loops;
        this.memoryPool = memoryPool;
        this.logger = logger;
    }

    public EndPoint EndPoint { get; }

    public static EpollConnectionListener Bind(IPEndPoint endpoint, EpollLoops loops, MemoryPool<byte> memoryPool, ILogger logger)
    {
        var fd = Libc.TcpSocket(endpoint.AddressFamily);
        try
        {
            // As .NET does for every listening socket on Unix: a restarted proxy can bind while old connections linger in TIME_WAIT.
            Libc.SetOption(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
            // [::] takes IPv4 too, as Kestrel's dual-mode socket does.
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
                Libc.SetOption(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0);
            if (Libc.Bind(fd, endpoint) is var bindError and not 0)
            {
                var error = Libc.Error(bindError);
                throw error.SocketErrorCode == SocketError.AddressAlreadyInUse ? new AddressInUseException(error.Message, error) : error;
            }
            if (Libc.listen(fd, 512) != 0)
                throw Libc.Error(Libc.Errno);
            var bound = Libc.LocalEndPoint(fd) ?? endpoint;
            return new EpollConnectionListener(new EpollSocket(fd, loops.Next()), bound, loops, memoryPool, logger);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!unbound)
        {
            var seen = acceptor.Readable.Generation;
            int fd;
            try
            {
                fd = acceptor.Accept();
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            if (fd >= 0)
                return Accepted(fd);
            var errno = -fd;
            if (errno == Libc.EAGAIN)
            {
                await acceptor.Readable.WaitAsync(seen);
                continue;
            }
            if (unbound)
                break;
            // ECONNABORTED (the client gave up before accept) needs nothing; out of descriptors
            // (EMFILE, ENFILE) leaves the connection queued, so pause instead of spinning, as nginx does.
            if (errno != Libc.ECONNABORTED)
            {
                logger.LogError("accept failed with errno {Errno} on {EndPoint}; retrying in 100 ms", errno, EndPoint);
                await Task.Delay(100, cancellationToken);
            }
        }
        return null;
    }

    private EpollConnection Accepted(int fd)
    {
        Libc.SetNoDelay(fd);
        var socket = new EpollSocket(fd, loops.Next());
        var id = Interlocked.Increment(ref connectionCounter).ToString("X", CultureInfo.InvariantCulture);
        var connection = new EpollConnection(socket, id, memoryPool);
        connection.Start();
        return connection;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        unbound = true;
        acceptor.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();
}
