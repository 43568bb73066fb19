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

    /// <summary>When it last went back to the pool (Environment.TickCount64).</summary>
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

/// <summary>Idle keep-alive connections per endpoint, opened on the proxy's transport.</summary>
public sealed class LeanUpstreamPool(EpollLoops? epoll = null) : IDisposable
{
    /// <summary>Idle connections kept per endpoint; more are closed (a burst does not leave a crowd of idle sockets).</summary>
    private const int MaxIdlePerEndpoint = 64;

    private readonly ConcurrentDictionary<DnsEndPoint, ConcurrentStack<LeanUpstream>> idle = new();

    /// <summary>
    /// Idle longer than this, a connection is closed instead of reused: SocketsHttpHandler's
    /// PooledConnectionIdleTimeout default (1 min), well inside the usual server keep-alive timeouts
    /// (Kestrel 130 s, nginx 75 s), so a reused connection is rarely one the server already closed.
    /// </summary>
    private const long MaxIdleMilliseconds = 60_000;

    internal async ValueTask<LeanUpstream> RentAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        if (idle.TryGetValue(endpoint, out var stack))
        {
            var now = Environment.TickCount64;
            while (stack.TryPop(out var pooled))
            {
                if (now - pooled.IdleSince <= MaxIdleMilliseconds)
                    return pooled;
                pooled.Dispose();
            }
        }
        return new LeanUpstream(await UpstreamConnect.ConnectAsync(epoll, endpoint, cancellationToken));
    }

    internal void Return(DnsEndPoint endpoint, LeanUpstream connection)
    {
        var stack = idle.GetOrAdd(endpoint, static _ => new ConcurrentStack<LeanUpstream>());
        if (stack.Count >= MaxIdlePerEndpoint)
        {
            connection.Dispose();
            return;
        }
        connection.Reused = true;
        connection.IdleSince = Environment.TickCount64;
        stack.Push(connection);
    }

    public void Dispose()
    {
        foreach (var stack in idle.Values)
        {
            while (stack.TryPop(out var connection))
                connection.Dispose();
        }
    }
}
