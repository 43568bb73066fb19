using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Transport;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// The lean path's idle upstream connections over real loopback sockets on a real event loop, on a test clock (the sweep's
/// timer fires as the clock is advanced, reading the clock's new time, so tests advance to each sweep): reused while fresh, never after a minute idle, and closed by
/// the sweep when nobody rents them, which the upstream sees as the connection closing.
/// </summary>
public sealed class LeanUpstreamPoolTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TcpListener upstream = new(IPAddress.Loopback, 0);
    private readonly FakeTimeProvider clock = new();
    private readonly EpollLoop loop = new("lean-pool-test", NullLogger.Instance);
    private readonly LeanUpstreamPool pool;
    private readonly DnsEndPoint endpoint;
    private readonly List<Socket> acceptedSockets = [];

    public LeanUpstreamPoolTests()
    {
        upstream.Start();
        endpoint = new DnsEndPoint("127.0.0.1", ((IPEndPoint)upstream.LocalEndpoint).Port);
        pool = new LeanUpstreamPool(clock);
    }

    public void Dispose()
    {
        pool.Dispose();
        loop.Dispose();
        foreach (var socket in acceptedSockets)
            socket.Dispose();
        upstream.Stop();
    }

    /// <summary>A connection rented (opened) and returned to the pool, with the upstream's side of it (closed with the test).</summary>
    private async Task<(LeanUpstream Connection, Socket Accepted)> RentAndReturnAsync()
    {
        var connection = Rent();
        var accepted = await upstream.AcceptSocketAsync().WaitAsync(Patience);
        acceptedSockets.Add(accepted);
        pool.Return(connection);
        return (connection, accepted);
    }

    /// <summary>A pooled connection, or a new one (connecting), as an exchange gets it.</summary>
    private LeanUpstream Rent() =>
        pool.TryRent(loop, endpoint) ?? LeanUpstream.Connect(loop, endpoint, [IPAddress.Loopback]);

    [Fact]
    public async Task A_returned_connection_is_reused_while_fresh()
    {
        var (first, _) = await RentAndReturnAsync();
        clock.Advance(TimeSpan.FromSeconds(59));

        Assert.Same(first, Rent());
        Assert.False(upstream.Pending(), "no second connection was opened");
        first.Dispose();
    }

    [Fact]
    public async Task A_connection_the_upstream_closed_while_idle_is_not_rented_again()
    {
        var (closed, accepted) = await RentAndReturnAsync();
        accepted.Dispose();
        // The loop reports the upstream's close to the idle connection, which the next rent then skips and closes.
        await Eventually.HoldsAsync(() => Task.FromResult(closed.SpoiltWhileIdle), "the loop reported the close");

        Assert.Null(pool.TryRent(loop, endpoint));
        Assert.True(closed.IsDisposed);
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public async Task The_sweep_closes_a_connection_idle_over_a_minute_and_the_upstream_sees_it_close()
    {
        var (_, accepted) = await RentAndReturnAsync();
        Assert.Equal(1, pool.IdleCount);

        clock.Advance(TimeSpan.FromSeconds(60)); // sweeps at 30 s and 60 s: idle a minute, not over it
        Assert.Equal(1, pool.IdleCount);

        clock.Advance(TimeSpan.FromSeconds(30)); // the sweep at 90 s
        Assert.Equal(0, pool.IdleCount);
        var received = await accepted.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(Patience);
        Assert.Equal(0, received);
    }

    [Fact]
    public async Task A_connection_idle_over_a_minute_is_not_rented_but_closed_and_replaced()
    {
        var (stale, first) = await RentAndReturnAsync();
        clock.Advance(TimeSpan.FromSeconds(60)); // the sweeps at 30 s and 60 s keep it: idle a minute, not over it
        clock.Advance(TimeSpan.FromSeconds(1));
        // Over a minute idle before the next sweep: the rent itself must refuse it.
        Assert.Equal(1, pool.IdleCount);

        using var fresh = Rent();
        using var second = await upstream.AcceptSocketAsync().WaitAsync(Patience);

        Assert.NotSame(stale, fresh);
        Assert.Equal(0, pool.IdleCount);
        Assert.Equal(0, await first.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(Patience));
    }

    [Fact]
    public async Task At_most_64_idle_connections_are_kept_per_endpoint()
    {
        var rented = new List<LeanUpstream>();
        var accepted = new List<Socket>();
        for (var i = 0; i < 65; i++)
        {
            rented.Add(Rent());
            accepted.Add(await upstream.AcceptSocketAsync().WaitAsync(Patience));
        }
        foreach (var connection in rented)
            pool.Return(connection);

        Assert.Equal(64, pool.IdleCount);
        Assert.Equal(0, await accepted[^1].ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(Patience));
        foreach (var socket in accepted)
            socket.Dispose();
    }
}
