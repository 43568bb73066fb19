using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// The lean HTTP/1.1 engine (the default, <c>Proxy:Http1Engine=Auto</c>, without tracing) end to end, with real
/// proxy processes and real Kestrel backends, each behaviour compared with <c>Proxy:Http1Engine=Kestrel</c>'s
/// (Kestrel and YARP) on the same requests.
/// </summary>
public sealed class LeanEngineTests
{
    private const string Get = "GET /orders/42?expand=items&q=a%20b HTTP/1.1\r\nHost: alpha\r\nAccept: application/json\r\nUser-Agent: lean-test/1.0\r\n" +
        "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\ntracestate: vendor=1\r\nX-Empty:\r\nConnection: keep-alive\r\n\r\n";

    private const string Post = "POST /orders HTTP/1.1\r\nHost: alpha\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world";

    [Fact]
    public async Task The_backend_sees_the_same_request_from_both_engines()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-headers");
        foreach (var request in new[] { Get, Post })
        {
            var viaKestrel = await SendOneAsync(mesh.KestrelPort, request);
            var viaLean = await SendOneAsync(mesh.LeanPort, request);
            Assert.Equal(200, viaKestrel.Status);
            Assert.Equal(200, viaLean.Status);
            var expected = LeanMesh.ParseEcho(viaKestrel);
            var actual = LeanMesh.ParseEcho(viaLean);
            Assert.Equal(expected.Method, actual.Method);
            Assert.Equal(expected.RawTarget, actual.RawTarget);
            Assert.Equal(expected.BodyLength, actual.BodyLength);
            Assert.Equal(expected.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase), actual.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase));
        }
        // Both served by the lean path, not handed over.
        Assert.Equal((2L, 0L), await mesh.LeanCountsAsync());
    }

    [Fact]
    public async Task Weighted_split_and_stats_as_with_kestrel()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-split");
        const int Requests = 400;
        foreach (var port in new[] { mesh.KestrelPort, mesh.LeanPort })
        {
            await using var connection = await RawHttpConnection.ConnectAsync(port);
            for (var i = 0; i < Requests; i++)
            {
                await connection.SendAsync($"GET /cart/{i} HTTP/1.1\r\nHost: shop\r\n\r\n");
                Assert.Equal(200, (await connection.ReadResponseAsync())!.Status);
            }
        }
        // 3:1 between alpha and beta: each proxy's share for beta far from 0 and from all (expected 100 of 400).
        var lean = await LeanMesh.TrafficAsync(mesh.Lean);
        var kestrel = await LeanMesh.TrafficAsync(mesh.Kestrel);
        int Count(string[] rows, string destination) => rows.Where(r => r.StartsWith(destination + " ", StringComparison.Ordinal)).Sum(r => int.Parse(r[(r.LastIndexOf(' ') + 1)..]));
        Assert.Equal(Requests, Count(lean, "alpha") + Count(lean, "beta"));
        Assert.InRange(Count(lean, "beta"), 50, 160);
        Assert.InRange(Count(kestrel, "beta"), 50, 160);
        // The same rows (destination, version, route, status class) on both; only the counts follow each proxy's own draws.
        Assert.Equal(kestrel.Select(r => r[..r.LastIndexOf(':')]), lean.Select(r => r[..r.LastIndexOf(':')]));
        // And /metrics carries the same series, labels for labels.
        string[] Shop(string[] series) => series.Select(l => l[..l.LastIndexOf('}')]).Where(l => l.Contains("shop", StringComparison.Ordinal)).ToArray();
        await Eventually.HoldsAsync(async () =>
        {
            var leanSeries = Shop(await LeanMesh.RequestSeriesAsync(mesh.Lean));
            var kestrelSeries = Shop(await LeanMesh.RequestSeriesAsync(mesh.Kestrel));
            return leanSeries.Length > 0 && string.Join('\n', leanSeries) == string.Join('\n', kestrelSeries);
        }, "the same meshwork_proxy_requests_total series on both proxies");
        Assert.Equal(((long)Requests, 0L), await mesh.LeanCountsAsync());
    }

    [Fact]
    public async Task A_request_the_lean_path_does_not_take_hands_the_connection_to_kestrel_mid_way()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-fallback");
        await using var connection = await RawHttpConnection.ConnectAsync(mesh.LeanPort);
        // Two lean requests, then a chunked body (not in the subset), then requests Kestrel serves on the same connection.
        await connection.SendAsync(Get);
        Assert.Equal(200, (await connection.ReadResponseAsync())!.Status);
        await connection.SendAsync(Post);
        Assert.Equal(11, LeanMesh.ParseEcho((await connection.ReadResponseAsync())!).BodyLength);
        await connection.SendAsync("POST /orders HTTP/1.1\r\nHost: alpha\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        Assert.Equal(11, LeanMesh.ParseEcho((await connection.ReadResponseAsync())!).BodyLength);
        await connection.SendAsync(Get);
        Assert.Equal("/orders/42", LeanMesh.ParseEcho((await connection.ReadResponseAsync())!).Path);
        Assert.Equal((2L, 1L), await mesh.LeanCountsAsync());

        // A route with a retry policy is YARP's from the first request on.
        await using var retried = await RawHttpConnection.ConnectAsync(mesh.LeanPort);
        await retried.SendAsync("GET /r HTTP/1.1\r\nHost: retried\r\n\r\n");
        var response = (await retried.ReadResponseAsync())!;
        Assert.Equal(200, response.Status);
        Assert.Equal("retried", response.Header("x-echo"));
        Assert.Equal((2L, 2L), await mesh.LeanCountsAsync());
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-pipeline");
        await using var connection = await RawHttpConnection.ConnectAsync(mesh.LeanPort);
        await connection.SendAsync(
            "GET /one HTTP/1.1\r\nHost: alpha\r\n\r\n" +
            "POST /two HTTP/1.1\r\nHost: alpha\r\nContent-Length: 3\r\n\r\nabc" +
            "HEAD /three HTTP/1.1\r\nHost: alpha\r\n\r\n" +
            "GET /four HTTP/1.1\r\nHost: alpha\r\nConnection: close\r\n\r\n");
        Assert.Equal("/one", LeanMesh.ParseEcho((await connection.ReadResponseAsync())!).Path);
        var two = LeanMesh.ParseEcho((await connection.ReadResponseAsync())!);
        Assert.Equal(("/two", 3L), (two.Path, two.BodyLength));
        var three = (await connection.ReadResponseAsync(head: true))!;
        Assert.Equal(200, three.Status);
        Assert.Empty(three.Body);
        var four = (await connection.ReadResponseAsync())!;
        Assert.Equal("/four", LeanMesh.ParseEcho(four).Path);
        Assert.Equal("close", four.Header("Connection"));
        Assert.True(await connection.ClosedAsync());
        Assert.Equal((4L, 0L), await mesh.LeanCountsAsync());
    }

    [Fact]
    public async Task A_client_closing_mid_body_is_counted_as_no_response_and_the_proxy_serves_on()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-cut");
        await using (var cut = await RawHttpConnection.ConnectAsync(mesh.LeanPort))
        {
            await cut.SendAsync("POST /cut HTTP/1.1\r\nHost: alpha\r\nContent-Length: 100\r\n\r\nonly ten b");
            // Cut once the request is on its way upstream, mid-body.
            await Eventually.HoldsAsync(() => Task.FromResult(mesh.Alpha.Started == 1), "the backend started on the request");
            cut.ShutdownSend();
            Assert.True(await cut.ClosedAsync());
        }
        await Eventually.HoldsAsync(async () => (await LeanMesh.TrafficAsync(mesh.Lean)).Any(r => r.StartsWith("alpha ", StringComparison.Ordinal) && r.EndsWith(" 0xx: 1", StringComparison.Ordinal)),
            "the cut request counted with no response (0xx)");
        var next = await SendOneAsync(mesh.LeanPort, Get);
        Assert.Equal(200, next.Status);
        Assert.Equal((2L, 0L), await mesh.LeanCountsAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_gone_while_the_upstream_is_slow_ends_the_upstream_request(bool lean)
    {
        await using var mesh = await LeanMesh.StartAsync(lean ? "lean-gone" : "kestrel-gone");
        await using (var gone = await RawHttpConnection.ConnectAsync(lean ? mesh.LeanPort : mesh.KestrelPort))
        {
            await gone.SendAsync("GET /hang HTTP/1.1\r\nHost: raw\r\n\r\n");
            await Eventually.HoldsAsync(() => Task.FromResult(mesh.Raw.HangsStarted == 1), "the upstream received the request");
        }
        // The client closed without waiting: the proxy gives the upstream request up at once, as Envoy and YARP do, not
        // at the upstream activity timeout (100 s).
        await Eventually.HoldsAsync(() => Task.FromResult(mesh.Raw.HangsEnded == 1), "the proxy closed the upstream connection");
        if (!lean)
            return;
        await Eventually.HoldsAsync(async () => (await LeanMesh.TrafficAsync(mesh.Lean)).Any(r => r.StartsWith("raw ", StringComparison.Ordinal) && r.EndsWith(" 0xx: 1", StringComparison.Ordinal)),
            "the request counted with no response (0xx)");
        Assert.Equal((1L, 0L), await mesh.LeanCountsAsync());
    }

    [Fact]
    public async Task A_malformed_upstream_response_is_a_502_as_with_kestrel()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-502");
        const string Request = "GET /broken HTTP/1.1\r\nHost: raw\r\n\r\n";
        Assert.Equal(502, (await SendOneAsync(mesh.KestrelPort, Request)).Status);
        await using var connection = await RawHttpConnection.ConnectAsync(mesh.LeanPort);
        await connection.SendAsync(Request);
        Assert.Equal(502, (await connection.ReadResponseAsync())!.Status);
        // The client connection stays usable: the next request on it is served.
        await connection.SendAsync(Get);
        Assert.Equal(200, (await connection.ReadResponseAsync())!.Status);
        Assert.Contains(await LeanMesh.TrafficAsync(mesh.Lean), r => r.StartsWith("raw ", StringComparison.Ordinal) && r.EndsWith(" 5xx: 1", StringComparison.Ordinal));
        Assert.Equal((2L, 0L), await mesh.LeanCountsAsync());
    }

    [Theory]
    [InlineData("/chunked")]
    [InlineData("/close")]
    [InlineData("/empty")]
    [InlineData("/interim")]
    public async Task Each_response_framing_reaches_the_client_as_through_kestrel(string path)
    {
        await using var mesh = await LeanMesh.StartAsync("lean-framing");
        var request = $"GET {path} HTTP/1.1\r\nHost: raw\r\n\r\n";
        var viaKestrel = await SendOneAsync(mesh.KestrelPort, request);
        // Twice on one connection: a response that leaves the upstream connection reusable must leave it clean.
        await using var connection = await RawHttpConnection.ConnectAsync(mesh.LeanPort);
        for (var i = 0; i < 2; i++)
        {
            await connection.SendAsync(request);
            var viaLean = (await connection.ReadResponseAsync())!;
            Assert.Equal(viaKestrel.Status, viaLean.Status);
            Assert.Equal(viaKestrel.Text, viaLean.Text);
            Assert.Equal(viaKestrel.Header("X-Kind"), viaLean.Header("X-Kind"));
            if (path == "/close")
            {
                // Nothing else frames that body: the client connection ends with it.
                Assert.True(await connection.ClosedAsync());
                break;
            }
        }
        Assert.Equal(0L, (await mesh.LeanCountsAsync()).HandedOver);
    }

    [Fact]
    public async Task A_pooled_upstream_connection_closed_while_idle_is_replaced_without_an_error()
    {
        await using var mesh = await LeanMesh.StartAsync("lean-stale");
        await using var connection = await RawHttpConnection.ConnectAsync(mesh.LeanPort);
        for (var i = 0; i < 3; i++)
        {
            await connection.SendAsync("GET /once HTTP/1.1\r\nHost: raw\r\n\r\n");
            var response = (await connection.ReadResponseAsync())!;
            Assert.Equal((200, "once"), (response.Status, response.Text));
        }
        Assert.Equal((3L, 0L), await mesh.LeanCountsAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_closes_idle_connections_instead_of_waiting_out_the_shutdown_timeout(bool lean)
    {
        await using var mesh = await LeanMesh.StartAsync(lean ? "lean-stop" : "kestrel-stop");
        var proxy = lean ? mesh.Lean : mesh.Kestrel;
        await using var connection = await RawHttpConnection.ConnectAsync(lean ? mesh.LeanPort : mesh.KestrelPort);
        await connection.SendAsync(Get);
        Assert.Equal(200, (await connection.ReadResponseAsync())!.Status);
        // And one that never sent a byte (still in the h2c check, which waits for the first bytes).
        await using var silent = await RawHttpConnection.ConnectAsync(lean ? mesh.LeanPort : mesh.KestrelPort);

        // Both stay open and idle. Kestrel closes such connections at once on a stop; one that ignored the
        // stop would hold the process until the host's shutdown timeout (30 s past the drain delay).
        var exitCode = await proxy.Process.TerminateAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
        Assert.True(await connection.ClosedAsync());
        Assert.True(await silent.ClosedAsync());
    }

    private static async Task<RawResponse> SendOneAsync(int port, string request)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(port);
        await connection.SendAsync(request);
        return (await connection.ReadResponseAsync())!;
    }
}
