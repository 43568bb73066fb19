using System.Diagnostics;
using System.Net;
using System.Text;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// One client connection served by the lean HTTP/1.1 path: a state machine driven by its sockets' epoll events on
/// its event loop's thread, as an nginx or HAProxy connection is. Each event reads what the socket has, moves the
/// exchange as far as the bytes allow (parse the head in place, route, write it to a pooled upstream connection of
/// the same loop, relay the body and the response) and returns; sends wait for the end of the loop's batch. Nothing
/// awaits, so a request costs no task, continuation or execution-context switch. At the first request that is not
/// lean the connection goes to Kestrel with every unconsumed byte (<see cref="IDirectSocketFeature.HandOver"/>).
/// Timeouts are deadlines that the loop's once-a-second sweep checks (<see cref="LeanLoop"/>).
/// </summary>
internal sealed class LeanConnection : IEpollEventHandler, IDeferredAction
{
    /// <summary>Bytes queued for a client (or an upstream) before reading more from the other side: backpressure, as Kestrel's 64 KiB response buffer.</summary>
    private const int OutputLimit = 64 * 1024;

    private const int InitialBuffer = 4096;
    private const int MinimumRead = 2048;

    private static ReadOnlySpan<byte> Http11 => " HTTP/1.1\r\n"u8;

    private readonly LeanHttp1 engine;
    private readonly LeanLoop loop;
    private readonly EpollSocket client;
    private readonly IDirectSocketFeature direct;
    private readonly LeanSettings settings;
    private readonly TaskCompletionSource<bool> finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LeanBuffer input = new(InitialBuffer);
    private readonly LeanBuffer output = new(InitialBuffer);
    private readonly LeanResponseRelay relay = new();
    private readonly DefaultHttpContext scratch = new();
    private CancellationTokenRegistration closeRequestedRegistration;

    private Phase phase = Phase.Request;
    private bool clientReadReady = true;
    private bool clientWriteReady = true;
    private bool clientPeerClosed;
    private bool clientEnded;
    private bool flushQueued;
    private bool handOverWhenFlushed;
    private bool closeRequested;
    private long deadline;
    private Deadline deadlineKind;

    // The exchange in progress.
    private LeanRequestHead? head;
    private LeanTarget? target;
    private LeanUpstream? upstream;
    private long bodyRemaining;
    private int attempt;
    private int exchangeId;
    private long startedAt;

    public LeanConnection(LeanHttp1 engine, LeanLoop loop, EpollSocket client, IDirectSocketFeature direct, LeanSettings settings)
    {
        this.engine = engine;
        this.loop = loop;
        this.client = client;
        this.direct = direct;
        this.settings = settings;
    }

    private enum Phase
    {
        /// <summary>Between requests, or inside a head.</summary>
        Request,

        /// <summary>A request on its way to the upstream, or its response on its way back.</summary>
        Exchange,

        /// <summary>Sending what is left, then closing or handing over.</summary>
        Closing,

        Ended,
    }

    private enum Deadline
    {
        None,
        KeepAlive,
        RequestHead,
        UpstreamActivity,

        /// <summary>Closing, with bytes the client does not read: Kestrel's keep-alive timeout bounds the wait.</summary>
        Drain,
    }

    /// <summary>True when the connection went to Kestrel, false when it ended.</summary>
    public Task<bool> Finished => finished.Task;

    /// <summary>On the loop thread: takes the socket's events and serves what the client sent already.</summary>
    public void Start(CancellationToken closeRequestedToken)
    {
        client.Handler = this;
        loop.Connections.Add(this);
        // Kestrel asks its connections to close when the server stops: an idle one closes at once, a busy one after its response.
        closeRequestedRegistration = closeRequestedToken.UnsafeRegister(static state =>
        {
            var connection = (LeanConnection)state!;
            connection.loop.Loop.Post(static c => ((LeanConnection)c!).OnCloseRequested(), connection);
        }, this);
        SetDeadline(Deadline.KeepAlive, settings.KeepAliveTimeout);
        Pump();
    }

    /// <summary>The client socket's events.</summary>
    public void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            clientPeerClosed = true;
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            clientReadReady = true;
        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
            clientWriteReady = true;
        Pump();
    }

    /// <summary>The current upstream connection's events (it updated its own readiness).</summary>
    public void OnUpstreamEvents() => Pump();

    /// <summary>The end of the loop's batch: the sends of this connection, then whatever they made room for.</summary>
    public void Run()
    {
        flushQueued = false;
        if (phase == Phase.Ended)
            return;
        if (upstream is { } current)
        {
            try
            {
                var before = current.Output.Length;
                current.Flush();
                if (current.Output.Length != before)
                    Touch();
            }
            catch (Exception exception)
            {
                ExchangeFailed(exception);
            }
        }
        FlushClient();
        Pump();
    }

    private void OnCloseRequested()
    {
        closeRequested = true;
        Pump();
    }

    /// <summary>The loop's sweep: acts on a deadline that passed.</summary>
    public void CheckDeadline(long now)
    {
        if (deadlineKind == Deadline.None || now < deadline || phase == Phase.Ended)
            return;
        var kind = deadlineKind;
        deadlineKind = Deadline.None;
        switch (kind)
        {
            case Deadline.KeepAlive:
                // As Kestrel closes an idle keep-alive connection.
                CloseWhenFlushed();
                break;
            case Deadline.RequestHead:
                // A slow head is Kestrel's to time out (408).
                HandOverWhenFlushed();
                break;
            case Deadline.UpstreamActivity:
                ExchangeFailed(new LeanUpstreamTimeoutException());
                break;
            case Deadline.Drain:
                End(handOver: false);
                return;
        }
        Pump();
    }

    /// <summary>Moves the connection as far as the bytes at hand allow, then queues its sends.</summary>
    private void Pump()
    {
        while (phase is Phase.Request or Phase.Exchange)
        {
            try
            {
                if (!(phase == Phase.Request ? ReadRequest() : Exchange()))
                    break;
            }
            catch (Exception exception) when (phase == Phase.Exchange)
            {
                if (!ExchangeFailed(exception))
                    break;
            }
            catch (Exception)
            {
                // The client's socket failed between requests.
                End(handOver: false);
                return;
            }
        }
        QueueFlush();
    }

    /// <summary>Reads and parses the next head; false when it must wait for an event.</summary>
    private bool ReadRequest()
    {
        if (closeRequested)
        {
            if (input.IsEmpty)
                CloseWhenFlushed();
            else
                HandOverWhenFlushed();
            return false;
        }
        if (!input.IsEmpty)
        {
            var pending = input.Pending;
            var parse = LeanRequestParser.Parse(pending[..Math.Min(pending.Length, settings.Limits.MaxHeadSize)], settings.Limits, out var parsed, out _);
            if (parse == LeanParse.Accepted)
            {
                var routed = engine.Router.Route(parsed!, scratch);
                if (routed is null)
                {
                    HandOverWhenFlushed();
                    return false;
                }
                input.Consume(parsed!.Length);
                Begin(parsed, routed);
                return true;
            }
            if (parse == LeanParse.Fallback)
            {
                HandOverWhenFlushed();
                return false;
            }
            // From a head's first bytes Kestrel's request headers timeout applies, once for the whole head.
            if (deadlineKind != Deadline.RequestHead)
                SetDeadline(Deadline.RequestHead, settings.RequestHeadersTimeout);
        }
        if (clientEnded)
        {
            if (input.IsEmpty)
                CloseWhenFlushed();
            else
                HandOverWhenFlushed();
            return false;
        }
        var read = ReceiveClient(settings.Limits.MaxHeadSize);
        if (read == 0)
            clientEnded = true;
        return read >= 0;
    }

    /// <summary>Bytes read from the client into <see cref="input"/>, 0 at its end of stream, -1 when nothing is there yet.</summary>
    private int ReceiveClient(int limit)
    {
        if (!clientReadReady)
            return -1;
        var free = input.Free(MinimumRead, limit);
        if (free.IsEmpty)
            return -1;
        var read = client.Receive(free);
        if (read > 0)
        {
            input.Advance(read);
            if (client.Drained(read, free.Length))
                clientReadReady = false;
            return read;
        }
        if (read == 0)
            return 0;
        if (read == -Libc.EAGAIN)
        {
            clientReadReady = false;
            return -1;
        }
        throw new LeanClientGoneException();
    }

    private void Begin(LeanRequestHead request, LeanTarget routed)
    {
        engine.CountLeanRequest();
        startedAt = Stopwatch.GetTimestamp();
        // Counted as in flight for the cluster, as the YARP path does (no limits: those clusters are YARP's).
        routed.Counters.TryEnter(null);
        head = request;
        target = routed;
        bodyRemaining = request.ContentLength;
        attempt = 0;
        phase = Phase.Exchange;
        Acquire();
    }

    /// <summary>A pooled upstream connection of this loop, or a new one, with the request head queued on it.</summary>
    private void Acquire()
    {
        relay.Reset(head!.Method == "HEAD", head.Close);
        SetDeadline(Deadline.UpstreamActivity, LeanUpstream.ActivityTimeout);
        var id = ++exchangeId;
        var endpoint = target!.Endpoint;
        var pooled = engine.Pool.TryRent(loop.Loop, endpoint);
        if (pooled is not null)
        {
            Attach(pooled);
            return;
        }
        if (IPAddress.TryParse(endpoint.Host, out var literal))
        {
            Attach(LeanUpstream.Connect(loop.Loop, endpoint, [literal]));
            return;
        }
        // A name: resolved off the loop (the resolver blocks), the connect continues on it.
        _ = ResolveAsync(endpoint, id);
    }

    private async Task ResolveAsync(DnsEndPoint endpoint, int id)
    {
        Exception? failure = null;
        IPAddress[] addresses = [];
        try
        {
            addresses = await Dns.GetHostAddressesAsync(endpoint.Host);
            if (addresses.Length == 0)
                failure = new IOException($"{endpoint.Host} has no address");
        }
        catch (Exception exception)
        {
            failure = exception;
        }
        loop.Loop.Post(static state =>
        {
            var (connection, endpoint, id, addresses, failure) = ((LeanConnection, DnsEndPoint, int, IPAddress[], Exception?))state!;
            connection.OnResolved(endpoint, id, addresses, failure);
        }, (this, endpoint, id, addresses, failure));
    }

    private void OnResolved(DnsEndPoint endpoint, int id, IPAddress[] addresses, Exception? failure)
    {
        if (phase != Phase.Exchange || id != exchangeId)
            return;
        try
        {
            if (failure is not null)
                throw failure;
            Attach(LeanUpstream.Connect(loop.Loop, endpoint, addresses));
        }
        catch (Exception exception)
        {
            ExchangeFailed(exception);
        }
        Pump();
    }

    private void Attach(LeanUpstream connection)
    {
        upstream = connection;
        connection.Owner = this;
        var free = connection.Output.Free(head!.Length + Http11.Length);
        connection.Output.Advance(RequestHead(head, free));
    }

    /// <summary>Moves the request body up and the response down; false when it must wait for an event.</summary>
    private bool Exchange()
    {
        if (upstream is not { } up || !up.TryFinishConnect())
            return false;
        var progressed = false;
        if (bodyRemaining > 0)
        {
            // Exactly Content-Length bytes from the client to the upstream, as they arrive.
            if (input.IsEmpty && up.Output.Length < OutputLimit)
            {
                var read = clientEnded ? 0 : ReceiveClient(int.MaxValue);
                if (read == 0)
                {
                    clientEnded = true;
                    throw new LeanClientGoneException();
                }
            }
            var take = (int)Math.Min(bodyRemaining, Math.Min(input.Length, OutputLimit - up.Output.Length));
            if (take > 0)
            {
                up.Output.Append(input.Pending[..take]);
                input.Consume(take);
                bodyRemaining -= take;
                progressed = true;
                Touch();
            }
            if (bodyRemaining > 0)
                return progressed;
        }
        // Nothing reads the client while its request waits: the end of its stream, reported by the loop, tells that it is gone.
        if (clientPeerClosed && !relay.IsDone)
            throw new LeanClientGoneException();
        while (true)
        {
            if (!up.Input.IsEmpty)
            {
                var consumed = relay.Relay(up.Input.Pending, output, OutputLimit);
                if (consumed > 0)
                {
                    up.Input.Consume(consumed);
                    progressed = true;
                }
                if (relay.IsDone)
                {
                    Complete(up);
                    return true;
                }
                if (output.Length >= OutputLimit)
                    return progressed;
            }
            var received = up.Receive();
            if (received < 0)
                return progressed;
            Touch();
            if (received == 0 && relay.EndOfStream(up.Input.IsEmpty))
            {
                Complete(up);
                return true;
            }
        }
    }

    private void Complete(LeanUpstream up)
    {
        upstream = null;
        // Bytes after the response were never asked for: the connection is not in a known state.
        if (relay.UpstreamReusable && up.Input.IsEmpty && up.Output.IsEmpty && !up.PeerClosed)
            engine.Pool.Return(up);
        else
            up.Dispose();
        Finish(relay.Status);
        if (relay.ClientMustClose)
        {
            CloseWhenFlushed();
            return;
        }
        phase = Phase.Request;
        SetDeadline(Deadline.KeepAlive, settings.KeepAliveTimeout);
    }

    /// <summary>A failed exchange: tried once more, answered 502/504, or the client connection ends. True when the connection serves on at once.</summary>
    private bool ExchangeFailed(Exception exception)
    {
        if (phase != Phase.Exchange)
            return false;
        var up = upstream;
        upstream = null;
        up?.Dispose();
        if (exception is LeanClientGoneException)
        {
            Finish(relay.Started ? relay.Status : 0);
            End(handOver: false);
            return false;
        }
        // A pooled connection the upstream had closed while idle (refused write, or closed before any byte of a
        // response): once more on a new one, as SocketsHttpHandler does.
        if (up is { Reused: true } && attempt == 0 && head!.ContentLength == 0 && !relay.Started &&
            exception is IOException or System.Net.Sockets.SocketException && exception is not (LeanUpstreamException or LeanUpstreamTimeoutException))
        {
            attempt++;
            try
            {
                Acquire();
                return true;
            }
            catch (Exception again)
            {
                exception = again;
            }
        }
        if (relay.Started)
        {
            // After part of the response went out, only cutting the connection tells the client (as YARP does).
            Finish(relay.Status);
            CloseWhenFlushed();
            return false;
        }
        // YARP: 504 when the upstream went silent, 502 for any other failure to get a response.
        var status = exception is LeanUpstreamTimeoutException ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
        var close = bodyRemaining > 0 || head!.Close;
        output.Append(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {(status == 504 ? "Gateway Timeout" : "Bad Gateway")}\r\nContent-Length: 0\r\n{(close ? "Connection: close\r\n" : "")}\r\n"));
        Finish(status);
        if (close)
        {
            CloseWhenFlushed();
            return false;
        }
        phase = Phase.Request;
        SetDeadline(Deadline.KeepAlive, settings.KeepAliveTimeout);
        return true;
    }

    private void Finish(int status)
    {
        target!.Counters.Exit();
        engine.Stats.Record(target.Key with { StatusClass = MeshMiddleware.StatusClass(status) }, Stopwatch.GetElapsedTime(startedAt), wasDenied: false);
        head = null;
        target = null;
    }

    /// <summary>Queues this connection's sends for the end of the loop's batch, when there is something it can send.</summary>
    private void QueueFlush()
    {
        if (flushQueued || phase == Phase.Ended)
            return;
        var clientSend = (!output.IsEmpty && clientWriteReady) || (phase == Phase.Closing && output.IsEmpty);
        var upstreamSend = upstream is { Connected: true, WriteReady: true } up && !up.Output.IsEmpty;
        if (!clientSend && !upstreamSend)
            return;
        flushQueued = true;
        if (!EpollLoop.TryDefer(this))
            Run();
    }

    private void FlushClient()
    {
        while (!output.IsEmpty)
        {
            if (!clientWriteReady)
                return;
            var sent = client.Send(output.Pending);
            if (sent > 0)
            {
                output.Consume(sent);
            }
            else if (sent == -Libc.EAGAIN)
            {
                clientWriteReady = false;
                return;
            }
            else
            {
                if (phase == Phase.Exchange)
                    ExchangeFailed(new LeanClientGoneException());
                else
                    End(handOver: false);
                return;
            }
        }
        if (phase == Phase.Closing)
            End(handOverWhenFlushed);
    }

    private void CloseWhenFlushed() => Closing(handOver: false);

    private void HandOverWhenFlushed() => Closing(handOver: true);

    private void Closing(bool handOver)
    {
        phase = Phase.Closing;
        handOverWhenFlushed = handOver;
        SetDeadline(Deadline.Drain, settings.KeepAliveTimeout);
    }

    private void End(bool handOver)
    {
        if (phase == Phase.Ended)
            return;
        phase = Phase.Ended;
        loop.Connections.Remove(this);
        client.Handler = null;
        upstream?.Dispose();
        upstream = null;
        closeRequestedRegistration.Dispose();
        if (handOver)
        {
            engine.CountHandOver();
            direct.HandOver(input.Pending, clientEnded);
        }
        input.Dispose();
        output.Dispose();
        finished.TrySetResult(handOver);
    }

    private void SetDeadline(Deadline kind, TimeSpan timeout)
    {
        deadlineKind = kind;
        deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
    }

    /// <summary>The exchange moved (a body read, a send, a response read): its inactivity timer restarts, as YARP's ActivityTimeout does on every read and write.</summary>
    private void Touch()
    {
        if (deadlineKind == Deadline.UpstreamActivity)
            deadline = Environment.TickCount64 + (long)LeanUpstream.ActivityTimeout.TotalMilliseconds;
    }

    /// <summary>The request line as received and every header but Connection (this hop's), as the YARP path forwards them.</summary>
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
}

/// <summary>The upstream stayed silent past the activity timeout: the client gets 504, as from YARP.</summary>
internal sealed class LeanUpstreamTimeoutException() : IOException("the upstream stayed silent past the activity timeout");
