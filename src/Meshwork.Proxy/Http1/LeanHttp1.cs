using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// The lean HTTP/1.1 engine (<c>Proxy:Http1Engine=Lean</c>, docs/proxy.md): a Kestrel connection
/// middleware on the outbound listener that serves the requests of a connection itself, as long as
/// each is in <see cref="LeanRequestParser"/>'s subset and its route in <see cref="LeanRouter"/>'s, and
/// hands the connection to Kestrel (and YARP) at the first request that is not, before consuming any
/// byte of it. Kestrel then serves, or rejects, the rest of the connection with its own rigour. A lean
/// request costs no HttpContext pipeline and no HttpClient: the head goes to a pooled keep-alive
/// connection of the endpoint, bodies are relayed as they arrive, and the request is counted in
/// <see cref="ProxyStats"/> under the key the YARP path would use. The async methods on the request path
/// use pooled builders: waiting (for the response, for the next request) is their common case, and each
/// wait would otherwise allocate its state machine.
/// </summary>
public sealed class LeanHttp1(LeanRouter router, LeanUpstreamPool pool, ProxyStats stats)
{
    private static ReadOnlySpan<byte> Http11 => " HTTP/1.1\r\n"u8;

    private long leanRequests;
    private long handedOver;

    /// <summary>On a listener: Proxy:Http1Engine is Lean.</summary>
    public bool Installed { get; private set; }

    public long LeanRequests => Interlocked.Read(ref leanRequests);
    public long HandedOver => Interlocked.Read(ref handedOver);

    public void Use(ListenOptions listen, KestrelServerLimits limits)
    {
        Installed = true;
        var parserLimits = new LeanLimits(limits.MaxRequestLineSize, limits.MaxRequestHeadersTotalSize, limits.MaxRequestHeaderCount);
        listen.Use(next => async connection =>
        {
            bool handOver;
            try
            {
                handOver = await ServeAsync(connection, parserLimits, limits);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException or SocketException)
            {
                return;
            }
            if (!handOver)
                return;
            Interlocked.Increment(ref handedOver);
            await next(connection);
        });
    }

    /// <summary>Serves lean requests until the client is done (false) or a request is Kestrel's (true).</summary>
    private async Task<bool> ServeAsync(ConnectionContext connection, LeanLimits parserLimits, KestrelServerLimits limits)
    {
        using var state = new ConnectionState(connection);
        while (true)
        {
            var (next, head, target) = await NextRequestAsync(state, parserLimits, limits);
            if (next != Next.Lean)
                return next == Next.HandOver;
            if (!await ExchangeAsync(state, head!, target!))
                return false;
        }
    }

    private enum Next
    {
        /// <summary>A lean request, its head consumed.</summary>
        Lean,

        /// <summary>Kestrel's from here: nothing of the request consumed.</summary>
        HandOver,

        /// <summary>The client closed, or stayed idle past the keep-alive timeout, between requests.</summary>
        Done,
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(Next Next, LeanRequestHead? Head, LeanTarget? Target)> NextRequestAsync(
        ConnectionState state, LeanLimits parserLimits, KestrelServerLimits limits)
    {
        var input = state.Connection.Transport.Input;
        var idle = state.Idle;
        var partial = false;
        // Between requests Kestrel's keep-alive timeout applies; from a head's first bytes, its request
        // headers timeout, once for the whole head (more bytes do not restart it).
        var timeout = idle.Start(limits.KeepAliveTimeout).Token;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout);
            }
            catch (OperationCanceledException) when (idle.Expired || state.CloseRequested.IsCancellationRequested)
            {
                // An idle connection is closed, as Kestrel does, on its keep-alive timeout and when the server stops;
                // a slow head is Kestrel's to time out (408), or to finish during the stop.
                return (partial ? Next.HandOver : Next.Done, null, null);
            }
            var buffer = result.Buffer;
            if (buffer.IsEmpty && result.IsCompleted)
                return (Next.Done, null, null);
            var (parse, head) = Parse(buffer, parserLimits);
            if (parse == LeanParse.Incomplete && !result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                if (!partial)
                    timeout = idle.Start(limits.RequestHeadersTimeout).Token;
                partial = true;
                continue;
            }
            var target = parse == LeanParse.Accepted ? router.Route(head!, state.Scratch) : null;
            if (target is null)
            {
                // Nothing consumed, nothing examined: Kestrel's first read returns these very bytes.
                input.AdvanceTo(buffer.Start);
                return (Next.HandOver, null, null);
            }
            input.AdvanceTo(buffer.GetPosition(head!.Length));
            return (Next.Lean, head, target);
        }
    }

    private static (LeanParse, LeanRequestHead?) Parse(in ReadOnlySequence<byte> buffer, LeanLimits limits)
    {
        // Nothing past the limits can be accepted, so at most that much is looked at.
        var length = (int)Math.Min(buffer.Length, limits.MaxHeadSize);
        var first = buffer.FirstSpan;
        // The parser reads line by line, so a verdict on the first segment alone holds for the whole head;
        // only a head that runs past the first segment is copied.
        var result = LeanRequestParser.Parse(first[..Math.Min(first.Length, length)], limits, out var head, out _);
        if (result != LeanParse.Incomplete || first.Length >= length)
            return (result, head);
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(copy);
            return (LeanRequestParser.Parse(copy.AsSpan(0, length), limits, out head, out _), head);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>One request through the upstream and its response back; false when the client connection must end.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExchangeAsync(ConnectionState state, LeanRequestHead head, LeanTarget target)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref leanRequests);
        var progress = new LeanProgress();
        var keepGoing = false;
        // Counted as in flight for the cluster, as the YARP path does (no limits: those clusters are YARP's).
        target.Counters.TryEnter(null);
        try
        {
            keepGoing = await ForwardAsync(state, head, target, progress);
        }
        finally
        {
            target.Counters.Exit();
            var status = progress.ClientGone && !progress.Started ? 0 : progress.Status;
            stats.Record(target.Key with { StatusClass = MeshMiddleware.StatusClass(status) }, Stopwatch.GetElapsedTime(started), wasDenied: false);
        }
        return keepGoing;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ForwardAsync(ConnectionState state, LeanRequestHead head, LeanTarget target, LeanProgress progress)
    {
        var connection = state.Connection;
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var activity = state.Activity.Start(LeanUpstream.ActivityTimeout);
        var bodyRelayed = head.ContentLength == 0;
        for (var attempt = 0; ; attempt++)
        {
            LeanUpstream? upstream = null;
            try
            {
                upstream = await pool.RentAsync(target.Endpoint, activity.Token);
                upstream.Activity = activity;
                await WriteHeadAsync(upstream, head, activity.Token);
                if (!bodyRelayed)
                {
                    await RelayBodyAsync(input, upstream, head.ContentLength, activity.Token);
                    bodyRelayed = true;
                }
                var relayed = await LeanResponseRelay.RelayAsync(upstream, output, head.Method == "HEAD", head.Close, progress, activity.Token);
                upstream.Activity = null;
                if (relayed.UpstreamReusable)
                    pool.Return(target.Endpoint, upstream);
                else
                    upstream.Dispose();
                return !relayed.ClientMustClose;
            }
            catch (Exception ex) when (upstream is { Reused: true } && attempt == 0 && head.ContentLength == 0 && !progress.Started &&
                ex is IOException or SocketException && ex is not LeanUpstreamException and not LeanClientGoneException)
            {
                // A pooled connection the upstream had closed while idle (refused write, or closed before any
                // byte of a response): once more on a new one, as SocketsHttpHandler does.
                upstream.Dispose();
            }
            catch (LeanClientGoneException)
            {
                upstream?.Dispose();
                progress.ClientGone = true;
                return false;
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                upstream?.Dispose();
                if (connection.ConnectionClosed.IsCancellationRequested)
                {
                    progress.ClientGone = true;
                    return false;
                }
                // After part of the response went out, only cutting the connection tells the client (as YARP does).
                if (progress.Started)
                    return false;
                // YARP: 504 when the upstream went silent, 502 for any other failure to get a response.
                var timedOut = activity.IsCancellationRequested;
                progress.Status = timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
                await WriteErrorAsync(output, progress.Status, close: !bodyRelayed || head.Close);
                return bodyRelayed && !head.Close;
            }
        }
    }

    /// <summary>The request line as received and every header but Connection (this hop's), as the YARP path forwards them.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask WriteHeadAsync(LeanUpstream upstream, LeanRequestHead head, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(head.Length + Http11.Length);
        try
        {
            var length = RequestHead(head, buffer);
            await upstream.Stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes the head into <paramref name="span"/> (never longer than the head received), returns its length.</summary>
    private static int RequestHead(LeanRequestHead head, Span<byte> span)
    {
        var at = Encoding.ASCII.GetBytes(head.Method, span);
        span[at++] = (byte)' ';
        at += Encoding.ASCII.GetBytes(head.Target, span[at..]);
        Http11.CopyTo(span[at..]);
        at += Http11.Length;
        foreach (var (name, value) in head.Headers)
        {
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                continue;
            at += Encoding.ASCII.GetBytes(name, span[at..]);
            span[at++] = (byte)':';
            span[at++] = (byte)' ';
            at += Encoding.ASCII.GetBytes(value, span[at..]);
            span[at++] = (byte)'\r';
            span[at++] = (byte)'\n';
        }
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        return at;
    }

    /// <summary>Exactly Content-Length bytes from the client to the upstream, as they arrive.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask RelayBodyAsync(PipeReader input, LeanUpstream upstream, long length, CancellationToken cancellationToken)
    {
        var remaining = length;
        while (remaining > 0)
        {
            var result = await input.ReadAsync(cancellationToken);
            var body = result.Buffer.Slice(0, Math.Min(remaining, result.Buffer.Length));
            upstream.Activity?.CancelAfter(LeanUpstream.ActivityTimeout);
            foreach (var segment in body)
                await upstream.Stream.WriteAsync(segment, cancellationToken);
            remaining -= body.Length;
            input.AdvanceTo(body.End);
            if (remaining > 0 && result.IsCompleted)
                throw new LeanClientGoneException();
        }
    }

    private static async ValueTask WriteErrorAsync(PipeWriter output, int status, bool close)
    {
        var text = $"HTTP/1.1 {status} {(status == 504 ? "Gateway Timeout" : "Bad Gateway")}\r\nContent-Length: 0\r\n{(close ? "Connection: close\r\n" : "")}\r\n";
        output.Write(Encoding.ASCII.GetBytes(text));
        await output.FlushAsync();
    }

    /// <summary>What a connection keeps from one request to the next.</summary>
    private sealed class ConnectionState : IDisposable
    {
        public ConnectionState(ConnectionContext connection)
        {
            Connection = connection;
            CloseRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
            Idle = new ResettableTimeout(CloseRequested);
            Activity = new ResettableTimeout(connection.ConnectionClosed);
        }

        public ConnectionContext Connection { get; }

        /// <summary>
        /// Kestrel's request to close the connection gracefully: the server is stopping. Kestrel closes its own
        /// idle keep-alive connections then; a lean one must too, or it holds the stop until the host's shutdown timeout.
        /// </summary>
        public CancellationToken CloseRequested { get; }

        /// <summary>
        /// Waits between and inside request heads, until the server stops (the end of the client's input ends
        /// those waits by itself; the exchange's <see cref="Activity"/> follows the connection's closing).
        /// </summary>
        public ResettableTimeout Idle { get; }

        /// <summary>An exchange's upstream inactivity, also ended when the client connection closes.</summary>
        public ResettableTimeout Activity { get; }

        /// <summary>The request the route matchers read, refilled for each request.</summary>
        public DefaultHttpContext Scratch { get; } = new();

        public void Dispose()
        {
            Idle.Dispose();
            Activity.Dispose();
        }
    }

    /// <summary>
    /// A timeout reused across requests without a new timer each time; its source is replaced only
    /// after it fired (a cancelled source cannot be reset).
    /// </summary>
    private sealed class ResettableTimeout(CancellationToken link) : IDisposable
    {
        private CancellationTokenSource source = CancellationTokenSource.CreateLinkedTokenSource(link);

        /// <summary>The timeout fired (not the linked token).</summary>
        public bool Expired => source.IsCancellationRequested && !link.IsCancellationRequested;

        public CancellationTokenSource Start(TimeSpan timeout)
        {
            if (!source.TryReset())
            {
                source.Dispose();
                source = CancellationTokenSource.CreateLinkedTokenSource(link);
            }
            source.CancelAfter(timeout);
            return source;
        }

        public void Dispose() => source.Dispose();
    }
}

/// <summary>How far a lean exchange got: the status sent to the client, once its head went out.</summary>
internal sealed class LeanProgress
{
    public bool Started;
    public int Status;
    public bool ClientGone;
}
