using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// One plain HTTP/1.1 keep-alive connection to an upstream endpoint on an event loop, with its receive and send
/// buffers. Used by one exchange at a time, on its loop's thread; back in <see cref="LeanUpstreamPool"/> only after
/// a response that left it reusable. Its socket's events go to the exchange that holds it (<see cref="Owner"/>);
/// while it is idle in the pool they only mark it, so a connection the upstream closed is not rented again.
/// Readiness follows nginx: a read that fills less than the buffer, or a send that takes less than offered, clears
/// the direction's readiness until its next edge-triggered event, so no call is made that would fail with EAGAIN.
/// </summary>
internal sealed class LeanUpstream : IEpollEventHandler, IDisposable
{
    /// <summary>Largest response head accepted: Kestrel's own request head limit (8 KiB line + 32 KiB headers), rounded up.</summary>
    public const int MaxHeadSize = 48 * 1024;

    private const int InitialBuffer = 16 * 1024;

    /// <summary>An exchange's upstream inactivity limit: YARP's ActivityTimeout default (100 s), which the YARP path keeps.</summary>
    public static TimeSpan ActivityTimeout { get; } = TimeSpan.FromSeconds(100);

    private readonly IPAddress[] addresses;
    private readonly int port;
    private int nextAddress;

    private LeanUpstream(EpollLoop loop, DnsEndPoint endpoint, IPAddress[] addresses)
    {
        Loop = loop;
        Endpoint = endpoint;
        this.addresses = addresses;
        port = endpoint.Port;
    }

    public EpollLoop Loop { get; }

    public DnsEndPoint Endpoint { get; }

    public EpollSocket? Socket { get; private set; }

    /// <summary>The connect has completed (successfully: a failure throws).</summary>
    public bool Connected { get; private set; }

    public LeanBuffer Input { get; } = new(InitialBuffer);

    /// <summary>Request bytes not sent yet.</summary>
    public LeanBuffer Output { get; } = new(4096);

    public bool ReadReady { get; private set; }

    public bool WriteReady { get; private set; }

    /// <summary>The upstream's end of stream (or a reset) was reported.</summary>
    public bool PeerClosed { get; private set; }

    /// <summary>The exchange its events go to; null while pooled.</summary>
    public LeanConnection? Owner { get; set; }

    /// <summary>While pooled, the upstream closed it or sent bytes nobody asked for: it must not serve another request.</summary>
    public bool SpoiltWhileIdle { get; private set; }

    /// <summary>When it last went back to the pool (a <see cref="TimeProvider"/> timestamp).</summary>
    public long IdleSince { get; set; }

    /// <summary>Served at least one response before (a failure before any byte of a response may be a stale keep-alive).</summary>
    public bool Reused { get; set; }

    public bool IsDisposed { get; private set; }

    /// <summary>On <paramref name="loop"/>'s thread: starts a non-blocking connect to the first address; <see cref="TryFinishConnect"/> completes it.</summary>
    public static LeanUpstream Connect(EpollLoop loop, DnsEndPoint endpoint, IPAddress[] addresses)
    {
        var upstream = new LeanUpstream(loop, endpoint, addresses);
        upstream.StartConnect();
        return upstream;
    }

    private void StartConnect()
    {
        // Reset before the socket is registered: from then on its events set them.
        ReadReady = WriteReady = PeerClosed = false;
        Socket = EpollSocket.Connect(new IPEndPoint(addresses[nextAddress++], port), Loop, this, out var connected);
        Connected = connected;
        WriteReady |= connected;
    }

    /// <summary>True once connected; false while the connect is in progress; a failure with no address left throws.</summary>
    public bool TryFinishConnect()
    {
        if (Connected)
            return true;
        if (!WriteReady)
            return false;
        var errno = Socket!.PendingError();
        if (errno == 0)
        {
            Connected = true;
            return true;
        }
        Socket.Dispose();
        if (nextAddress >= addresses.Length)
            throw Libc.Error(errno);
        StartConnect();
        return TryFinishConnect();
    }

    public void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            PeerClosed = true;
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            ReadReady = true;
        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            WriteReady = true;
        if (Owner is { } owner)
            owner.OnUpstreamEvents();
        else if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            SpoiltWhileIdle = true;
    }

    /// <summary>Reads what the socket has into <see cref="Input"/>: bytes read, 0 at the end of the stream, -1 when nothing is there yet.</summary>
    public int Receive()
    {
        if (!ReadReady)
            return -1;
        var free = Input.Free(InitialBuffer / 4, MaxHeadSize);
        if (free.IsEmpty)
            throw new LeanUpstreamException("response head too large");
        var read = Socket!.Receive(free);
        if (read > 0)
        {
            Input.Advance(read);
            if (Socket.Drained(read, free.Length))
                ReadReady = false;
            return read;
        }
        if (read == 0)
            return 0;
        if (read == -Libc.EAGAIN)
        {
            ReadReady = false;
            return -1;
        }
        throw new IOException("The upstream connection failed.", Libc.Error(-read));
    }

    /// <summary>Sends what it can of <see cref="Output"/>; true when nothing is left.</summary>
    public bool Flush()
    {
        while (!Output.IsEmpty)
        {
            if (!WriteReady || !Connected)
                return false;
            var sent = Socket!.Send(Output.Pending);
            if (sent > 0)
            {
                Output.Consume(sent);
            }
            else if (sent == -Libc.EAGAIN)
            {
                WriteReady = false;
                return false;
            }
            else
            {
                throw new IOException("The upstream connection failed.", Libc.Error(-sent));
            }
        }
        return true;
    }

    public void Dispose()
    {
        if (IsDisposed)
            return;
        IsDisposed = true;
        Owner = null;
        Socket?.Dispose();
        Input.Dispose();
        Output.Dispose();
    }
}

/// <summary>The upstream sent something the lean path will not relay: the client gets 502, as from YARP.</summary>
internal sealed class LeanUpstreamException(string message) : IOException(message);

/// <summary>
/// Idle keep-alive connections per event loop and endpoint (a connection serves exchanges of its own loop only, as
/// each nginx worker keeps its own). A connection idle longer
/// than <see cref="MaxIdle"/> is closed instead of reused, and a sweep closes those nobody rents, so an
/// endpoint that stopped receiving traffic does not hold its sockets (and the server's) open for good.
/// </summary>
public sealed class LeanUpstreamPool : IDisposable
{
    /// <summary>Idle connections kept per endpoint; more are closed (a burst does not leave a crowd of idle sockets).</summary>
    private const int MaxIdlePerEndpoint = 64;

    /// <summary>
    /// SocketsHttpHandler's PooledConnectionIdleTimeout default (1 min), well inside the usual server keep-alive
    /// timeouts (Kestrel 130 s, nginx 75 s), so a reused connection is rarely one the server already closed.
    /// </summary>
    public static readonly TimeSpan MaxIdle = TimeSpan.FromMinutes(1);

    private readonly TimeProvider time;
    /// <summary><see cref="MaxIdle"/> in the clock's timestamp units (computed once: the rent path reads it per request).</summary>
    private readonly long maxIdleTicks;
    private readonly ConcurrentDictionary<(EpollLoop Loop, DnsEndPoint Endpoint), IdleConnections> idle = new();
    private readonly ITimer sweeper;

    public LeanUpstreamPool() : this(TimeProvider.System)
    {
    }

    internal LeanUpstreamPool(TimeProvider time)
    {
        this.time = time;
        maxIdleTicks = (long)(MaxIdle.TotalSeconds * time.TimestampFrequency);
        // Half the idle limit: a connection is closed at most 1.5 x MaxIdle after its last use.
        sweeper = time.CreateTimer(_ => Sweep(), null, MaxIdle / 2, MaxIdle / 2);
    }

    /// <summary>Idle connections held now, over every endpoint (GET /stats).</summary>
    public int IdleCount => idle.Values.Sum(connections => connections.Count);

    /// <summary>An idle connection of the loop to the endpoint, fresh and not closed by the upstream, or null.</summary>
    internal LeanUpstream? TryRent(EpollLoop loop, DnsEndPoint endpoint) =>
        idle.TryGetValue((loop, endpoint), out var connections) ? connections.TakeFresh(time.GetTimestamp() - maxIdleTicks) : null;

    internal void Return(LeanUpstream connection)
    {
        connection.Owner = null;
        connection.Reused = true;
        connection.IdleSince = time.GetTimestamp();
        if (!idle.GetOrAdd((connection.Loop, connection.Endpoint), static _ => new IdleConnections()).TryAdd(connection))
            connection.Dispose();
    }

    /// <summary>Closes the connections idle longer than <see cref="MaxIdle"/>.</summary>
    internal void Sweep()
    {
        var cutoff = time.GetTimestamp() - maxIdleTicks;
        foreach (var connections in idle.Values)
            connections.CloseIdleSince(cutoff);
    }

    public void Dispose()
    {
        sweeper.Dispose();
        foreach (var connections in idle.Values)
            connections.CloseIdleSince(long.MaxValue);
    }

    /// <summary>
    /// One endpoint's idle connections, most recently returned last: rented from the end (the warmest),
    /// swept from the start (the idlest). A lock, not a lock-free stack, so the count is O(1) and the
    /// sweep can take the oldest; it is held for a few instructions only.
    /// </summary>
    private sealed class IdleConnections
    {
        private readonly List<LeanUpstream> connections = new(MaxIdlePerEndpoint);

        public int Count
        {
            get
            {
                lock (connections) return connections.Count;
            }
        }

        public bool TryAdd(LeanUpstream connection)
        {
            lock (connections)
            {
                if (connections.Count >= MaxIdlePerEndpoint)
                    return false;
                connections.Add(connection);
                return true;
            }
        }

        /// <summary>The most recently returned connection idle since <paramref name="cutoff"/> or later; older ones are closed.</summary>
        public LeanUpstream? TakeFresh(long cutoff)
        {
            lock (connections)
            {
                // The upstream closed some while they were idle (its keep-alive timeout): those are of no use.
                while (connections.Count > 0 && connections[^1].IdleSince >= cutoff)
                {
                    var taken = connections[^1];
                    connections.RemoveAt(connections.Count - 1);
                    if (!taken.SpoiltWhileIdle && !taken.PeerClosed)
                        return taken;
                    taken.Dispose();
                }
            }
            // The warmest is stale, so all are: close them outside the lock.
            CloseIdleSince(cutoff);
            return null;
        }

        public void CloseIdleSince(long cutoff)
        {
            List<LeanUpstream> stale;
            lock (connections)
            {
                var count = connections.FindIndex(c => c.IdleSince >= cutoff) is var i and >= 0 ? i : connections.Count;
                if (count == 0)
                    return;
                stale = connections.GetRange(0, count);
                connections.RemoveRange(0, count);
            }
            foreach (var connection in stale)
                connection.Dispose();
        }
    }
}
