using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// One plain HTTP/1.1 keep-alive connection to an upstream endpoint, with its receive buffer. Used by
/// one exchange at a time; back in <see cref="LeanUpstreamPool"/> only after a response that left it reusable.
/// </summary>
internal sealed class LeanUpstream : IDisposable
{
    /// <summary>Largest response head accepted: Kestrel's own request head limit (8 KiB line + 32 KiB headers), rounded up.</summary>
    public const int MaxHeadSize = 48 * 1024;

    private const int InitialBuffer = 16 * 1024;

    private byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);

    public LeanUpstream(Stream stream) => Stream = stream;

    public Stream Stream { get; }

    /// <summary>Received bytes not consumed yet: buffer[Start..End].</summary>
    public int Start { get; private set; }

    public int End { get; private set; }

    /// <summary>
    /// The current exchange's inactivity timer: every read restarts it, as YARP's ActivityTimeout (100 s by
    /// default, which the YARP path keeps) restarts on every read and write of a forwarded request.
    /// </summary>
    public CancellationTokenSource? Activity { get; set; }

    public static TimeSpan ActivityTimeout { get; } = TimeSpan.FromSeconds(100);

    /// <summary>When it last went back to the pool (a <see cref="TimeProvider"/> timestamp).</summary>
    public long IdleSince { get; set; }

    /// <summary>Served at least one response before (a failure before any byte of a response may be a stale keep-alive).</summary>
    public bool Reused { get; set; }

    public ReadOnlySpan<byte> Pending => buffer.AsSpan(Start, End - Start);

    public ReadOnlyMemory<byte> PendingMemory => buffer.AsMemory(Start, End - Start);

    public void Consume(int count) => Start += count;

    /// <summary>Reads more bytes after the pending ones; false at end of stream. Grows the buffer up to <see cref="MaxHeadSize"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (Start > 0)
        {
            Pending.CopyTo(buffer);
            End -= Start;
            Start = 0;
        }
        if (End == buffer.Length)
        {
            if (buffer.Length >= MaxHeadSize)
                throw new LeanUpstreamException("response head too large");
            var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(0, End).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
        Activity?.CancelAfter(ActivityTimeout);
        var read = await Stream.ReadAsync(buffer.AsMemory(End), cancellationToken);
        End += read;
        return read > 0;
    }

    public void Dispose()
    {
        Stream.Dispose();
        var rented = Interlocked.Exchange(ref buffer, []);
        if (rented.Length > 0)
            ArrayPool<byte>.Shared.Return(rented);
    }
}

/// <summary>The upstream sent something the lean path will not relay: the client gets 502, as from YARP.</summary>
internal sealed class LeanUpstreamException(string message) : IOException(message);

/// <summary>
/// Idle keep-alive connections per endpoint, opened on the proxy's transport. A connection idle longer
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

    private readonly EpollLoops? epoll;
    private readonly TimeProvider time;
    /// <summary><see cref="MaxIdle"/> in the clock's timestamp units (computed once: the rent path reads it per request).</summary>
    private readonly long maxIdleTicks;
    private readonly ConcurrentDictionary<DnsEndPoint, IdleConnections> idle = new();
    private readonly ITimer sweeper;

    public LeanUpstreamPool(EpollLoops? epoll = null) : this(epoll, TimeProvider.System)
    {
    }

    internal LeanUpstreamPool(EpollLoops? epoll, TimeProvider time)
    {
        this.epoll = epoll;
        this.time = time;
        maxIdleTicks = (long)(MaxIdle.TotalSeconds * time.TimestampFrequency);
        // Half the idle limit: a connection is closed at most 1.5 x MaxIdle after its last use.
        sweeper = time.CreateTimer(_ => Sweep(), null, MaxIdle / 2, MaxIdle / 2);
    }

    /// <summary>Idle connections held now, over every endpoint (GET /stats).</summary>
    public int IdleCount => idle.Values.Sum(connections => connections.Count);

    internal async ValueTask<LeanUpstream> RentAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        if (idle.TryGetValue(endpoint, out var connections) && connections.TakeFresh(time.GetTimestamp() - maxIdleTicks) is { } pooled)
            return pooled;
        return new LeanUpstream(await UpstreamConnect.ConnectAsync(epoll, endpoint, cancellationToken));
    }

    internal void Return(DnsEndPoint endpoint, LeanUpstream connection)
    {
        connection.Reused = true;
        connection.IdleSince = time.GetTimestamp();
        if (!idle.GetOrAdd(endpoint, static _ => new IdleConnections()).TryAdd(connection))
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
                if (connections.Count > 0 && connections[^1].IdleSince >= cutoff)
                {
                    var taken = connections[^1];
                    connections.RemoveAt(connections.Count - 1);
                    return taken;
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
