using System.Collections.Concurrent;
using Meshwork.Proxy.Telemetry;
using Meshwork.Proxy.Transport;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// The lean HTTP/1.1 engine (<c>Proxy:Http1Engine=Lean</c>, docs/proxy.md), on the epoll transport: a Kestrel
/// connection middleware on the outbound listener that takes the connection's socket before anyone reads it and
/// serves its requests itself (<see cref="LeanConnection"/>, on the socket's event loop), as long as each is in
/// <see cref="LeanRequestParser"/>'s subset and its route in <see cref="LeanRouter"/>'s, and hands the connection to
/// Kestrel (and YARP) at the first request that is not, before consuming any byte of it. Kestrel then serves, or
/// rejects, the rest of the connection with its own rigour. A lean request costs no HttpContext pipeline, no
/// HttpClient and no task: the head goes to a pooled keep-alive connection of the endpoint, bodies are relayed as
/// they arrive, and the request is counted in <see cref="ProxyStats"/> under the key the YARP path would use.
/// </summary>
public sealed class LeanHttp1 : IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<EpollLoop, LeanLoop> loops = new();
    private readonly Timer sweeper;
    private long leanRequests;
    private long handedOver;

    public LeanHttp1(LeanRouter router, LeanUpstreamPool pool, ProxyStats stats)
    {
        Router = router;
        Pool = pool;
        Stats = stats;
        sweeper = new Timer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    internal LeanRouter Router { get; }

    internal LeanUpstreamPool Pool { get; }

    internal ProxyStats Stats { get; }

    /// <summary>On a listener: Proxy:Http1Engine is Lean.</summary>
    public bool Installed { get; private set; }

    public long LeanRequests => Interlocked.Read(ref leanRequests);
    public long HandedOver => Interlocked.Read(ref handedOver);

    internal void CountLeanRequest() => Interlocked.Increment(ref leanRequests);

    internal void CountHandOver() => Interlocked.Increment(ref handedOver);

    /// <summary>First on the listener, so that nothing has read the connection yet.</summary>
    public void Use(ListenOptions listen, KestrelServerLimits limits)
    {
        Installed = true;
        var settings = new LeanSettings(
            new LeanLimits(limits.MaxRequestLineSize, limits.MaxRequestHeadersTotalSize, limits.MaxRequestHeaderCount),
            limits.KeepAliveTimeout, limits.RequestHeadersTimeout);
        listen.Use(next => async connection =>
        {
            var direct = connection.Features.Get<IDirectSocketFeature>();
            if (direct?.TakeSocket() is not { } socket)
            {
                await next(connection);
                return;
            }
            var loop = loops.GetOrAdd(socket.Loop, static l => new LeanLoop(l));
            var lean = new LeanConnection(this, loop, socket, direct, settings);
            var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
            socket.Loop.Post(static state =>
            {
                var (lean, closeRequested) = ((LeanConnection, CancellationToken))state!;
                lean.Start(closeRequested);
            }, (lean, closeRequested));
            if (await lean.Finished)
                await next(connection);
        });
    }

    private void Sweep()
    {
        foreach (var loop in loops.Values)
            loop.Loop.Post(static l => ((LeanLoop)l!).Sweep(), loop);
    }

    public void Dispose() => sweeper.Dispose();
}
