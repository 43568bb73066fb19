using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>
/// The proxy's transport edge cases through real proxy processes and real HTTP, each run against
/// the epoll transport and .NET's socket transport so both are held to the same behaviour:
/// backpressure both ways, a slow reader, a refused upstream, an upstream or client whose end of
/// stream (FIN, reset) arrives with its last data, clients that vanish mid-exchange, many keep-alive
/// connections, HTTP/2 over TLS, and that epoll is the default on Linux.
/// </summary>
public sealed class EpollTransportTests(TransportFixture fixture) : IClassFixture<TransportFixture>
{
    private const int Megabyte = 1024 * 1024;

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task LargeBodies_BothWaysAtOnce_ArriveIntact(string transport)
    {
        using var client = OutboundClient(transport);
        var upload = BulkBackend.RandomBytes(8 * Megabyte, seed: 1);

        // At once, on two connections: each direction fills the pipes and socket buffers on its own.
        var uploading = client.PostAsync($"http://bulk/upload?tag=large-{transport}", new ByteArrayContent(upload));
        var downloading = client.GetByteArrayAsync($"http://bulk/download?tag=large-down-{transport}&bytes={8 * Megabyte}");
        await Task.WhenAll(uploading, downloading);

        using var uploaded = await uploading;
        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        Assert.Equal(BulkBackend.UploadReceipt(upload), await uploaded.Content.ReadAsStringAsync());
        AssertPattern(await downloading, 8 * Megabyte);
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task SlowReader_SmallReadsWithPauses_GetsEveryByte(string transport)
    {
        const int size = 4 * Megabyte;
        // A 4 KB receive window: the proxy's sends soon find the socket full and must wait for it.
        using var client = OutboundClient(transport, receiveBuffer: 4096);
        var tag = $"slow-{transport}";
        using var response = await client.GetAsync($"http://bulk/download?tag={tag}&bytes={size}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();

        // Nothing read for a while: every buffer between the backend and here fills up.
        await Task.Delay(500);
        var buffer = new byte[4096];
        long received = 0, sincePause = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            AssertPatternAt(buffer.AsSpan(0, read), received);
            received += read;
            sincePause += read;
            if (sincePause >= 256 * 1024)
            {
                sincePause = 0;
                await Task.Delay(50);
            }
        }
        Assert.Equal(size, received);
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task UpstreamRefused_Answers502_AndKeepsServing(string transport)
    {
        using var client = OutboundClient(transport);
        // Several times: a failed connect must leave nothing behind that breaks the next one.
        for (var i = 0; i < 3; i++)
        {
            using var refused = await client.GetAsync($"http://nowhere/refused-{i}");
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        }
        await AssertServesAsync(transport, $"after-refused-{transport}");
    }

    // The next three catch an end of stream (FIN or reset) that reaches the proxy together with, or
    // before, the last data it reads. Whether it does is up to timing, so each tries a few times.
    private const int EndOfStreamAttempts = 5;

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task ResponseEndedByUpstreamClose_ReachesTheClientWhole(string transport)
    {
        // A slow client: the whole response and the upstream's FIN reach the proxy before it has read them.
        using var client = OutboundClient(transport, receiveBuffer: 4096);
        for (var attempt = 0; attempt < EndOfStreamAttempts; attempt++)
        {
            using var patience = new CancellationTokenSource(Eventually.DefaultPatience);
            using var response = await client.GetAsync("http://closing/", HttpCompletionOption.ResponseHeadersRead, patience.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(patience.Token);
            await Task.Delay(200, patience.Token);

            var received = new MemoryStream();
            var error = await Record.ExceptionAsync(() => body.CopyToAsync(received, patience.Token));
            // The proxy learns where the body ends only from the upstream's FIN; missing it, it waits for more.
            Assert.True(error is null, $"attempt {attempt}: after {received.Length} of {CloseDelimitedBackend.BodyLength} bytes: {error?.GetType().Name} {error?.Message}" +
                (patience.IsCancellationRequested ? $" (nothing more came in {Eventually.DefaultPatience.TotalSeconds} s: the proxy never saw the upstream close)" : ""));
            Assert.Equal(CloseDelimitedBackend.BodyLength, received.Length);
            AssertPatternAt(received.GetBuffer().AsSpan(0, (int)received.Length), 0);
        }
        await AssertServesAsync(transport, $"after-closing-{transport}");
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task UpstreamGoneMidResponse_ClientSeesItCutShort_AndProxyKeepsServing(string transport)
    {
        const int size = 4 * Megabyte, cut = Megabyte;
        using var client = OutboundClient(transport, receiveBuffer: 4096);
        for (var attempt = 0; attempt < EndOfStreamAttempts; attempt++)
        {
            using var patience = new CancellationTokenSource(Eventually.DefaultPatience);
            using var response = await client.GetAsync($"http://bulk/download?tag=upstream-gone-{transport}-{attempt}&bytes={size}&abortAfter={cut}", HttpCompletionOption.ResponseHeadersRead, patience.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(patience.Token);

            // Not reading at first: the backend's reset reaches the proxy before the data it has not forwarded yet.
            await Task.Delay(200, patience.Token);
            var received = new MemoryStream();
            var error = await Record.ExceptionAsync(() => body.CopyToAsync(received, patience.Token));

            // A response cut short must not look complete: the client learns it through an error (not the hang guard's).
            Assert.True(error is IOException, $"attempt {attempt}: after {received.Length} bytes the response ended with {error?.GetType().Name ?? "no error"} {error?.Message}" +
                (patience.IsCancellationRequested ? $" (nothing more came in {Eventually.DefaultPatience.TotalSeconds} s: the proxy never saw the upstream reset)" : ""));
            Assert.InRange(received.Length, 0, cut);
            AssertPatternAt(received.GetBuffer().AsSpan(0, (int)received.Length), 0);
        }
        await AssertServesAsync(transport, $"after-upstream-gone-{transport}");
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task ClientHalfClosesAfterItsRequest_ProxyEndsTheConnection(string transport)
    {
        for (var attempt = 0; attempt < EndOfStreamAttempts; attempt++)
        {
            var id = $"half-close-{transport}-{attempt}";
            using var socket = await ConnectAsync(transport);
            // The request and the FIN right behind it: the proxy may get both from one event.
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET http://bulk/echo?id={id} HTTP/1.1\r\nHost: bulk\r\n\r\n"));
            socket.Shutdown(SocketShutdown.Send);

            // Kestrel takes the FIN as the client leaving and ends the connection (with Sockets, before
            // answering); a proxy that missed the FIN would answer and then wait for the next request.
            var received = await ReceiveToEndAsync(socket);
            if (received.Length > 0)
                Assert.Matches($"^HTTP/1.1 200 (.|\\n)*{id}$", received);
        }
        await AssertServesAsync(transport, $"after-half-close-{transport}");
    }

    [Theory]
    [InlineData(TransportFixture.Epoll, false)]
    [InlineData(TransportFixture.Epoll, true)]
    [InlineData(TransportFixture.Sockets, false)]
    [InlineData(TransportFixture.Sockets, true)]
    public async Task ClientGoneMidUpload_BackendSeesItCutOff_AndProxyKeepsServing(string transport, bool reset)
    {
        var tag = $"gone-up-{transport}-{(reset ? "rst" : "fin")}";
        using (var socket = await ConnectAsync(transport))
        {
            var head = $"POST http://bulk/upload?tag={tag} HTTP/1.1\r\nHost: bulk\r\nContent-Length: {8 * Megabyte}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));
            await socket.SendAsync(BulkBackend.Pattern.AsMemory(0, 64 * 1024));
            await Eventually.HoldsAsync(() => Task.FromResult(fixture.Backend.Exchanges.ContainsKey(tag)), "the upload reached the backend");
            if (reset)
                socket.LingerState = new LingerOption(true, 0);
        }

        await AssertExchangeEndsAsync(tag, ExchangeState.CutOff);
        await AssertServesAsync(transport, $"after-{tag}");
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task ClientGoneMidDownload_UpstreamConnectionClosed_AndProxyKeepsServing(string transport)
    {
        var tag = $"gone-down-{transport}";
        // Far more than every buffer on the way can hold: the backend finishes only if the proxy keeps reading for nobody.
        const long size = 1024L * Megabyte;
        using (var socket = await ConnectAsync(transport))
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET http://bulk/download?tag={tag}&bytes={size} HTTP/1.1\r\nHost: bulk\r\n\r\n"));
            var received = await ReceiveAtLeastAsync(socket, 64 * 1024);
            Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(received, 0, 12));
            // Unread data on close makes the kernel answer with a reset: the proxy's next sends fail.
            socket.LingerState = new LingerOption(true, 0);
        }

        // The proxy let go of the upstream connection rather than reading the rest for nobody or keeping it.
        var upstream = fixture.Backend.ConnectionOf[tag];
        await Eventually.HoldsAsync(() => Task.FromResult(!fixture.Backend.IsOpen(upstream)), $"the backend connection of {tag} closed");
        await AssertServesAsync(transport, $"after-{tag}");
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task ManyKeepAliveConnections_AllRequestsAnsweredOnTheirOwnConnection(string transport)
    {
        const int connections = 200;
        const int rounds = 3;
        var connects = new int[connections];
        var clients = Enumerable.Range(0, connections).Select(i => new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://127.0.0.1:{fixture.OutboundPort(transport)}"),
            UseProxy = true,
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connects[i]);
                return await ConnectStreamAsync(context.DnsEndPoint, receiveBuffer: null, cancellationToken);
            },
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        }).ToArray();
        try
        {
            // All at once per round; after the first round all 200 connections stay open at the proxy.
            for (var round = 0; round < rounds; round++)
            {
                var ids = Enumerable.Range(0, connections).Select(i => $"c{i}-r{round}-{transport}").ToArray();
                var answers = await Task.WhenAll(clients.Select((client, i) => client.GetStringAsync($"http://bulk/echo?id={ids[i]}")));
                Assert.Equal(ids, answers);
            }
            // Kept alive: no connection was closed and opened again.
            Assert.All(connects, count => Assert.Equal(1, count));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [Theory]
    [InlineData(TransportFixture.Epoll)]
    [InlineData(TransportFixture.Sockets)]
    public async Task Http2OverTls_ConcurrentStreamsOnOneConnection_ArriveIntact(string transport)
    {
        using var client = fixture.InboundClient(transport, HttpVersion.Version20);
        var upload = BulkBackend.RandomBytes(2 * Megabyte, seed: 2);

        var uploading = client.PostAsync($"/upload?tag=h2-up-{transport}", new ByteArrayContent(upload));
        var downloading = client.GetAsync($"/download?tag=h2-down-{transport}&bytes={2 * Megabyte}");
        var echoes = Enumerable.Range(0, 10).Select(i => client.GetAsync($"/echo?id=h2-{i}")).ToArray();
        await Task.WhenAll([uploading, downloading, .. echoes]);

        using var uploaded = await uploading;
        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (uploaded.StatusCode, uploaded.Version));
        Assert.Equal(BulkBackend.UploadReceipt(upload), await uploaded.Content.ReadAsStringAsync());
        using var downloaded = await downloading;
        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (downloaded.StatusCode, downloaded.Version));
        AssertPattern(await downloaded.Content.ReadAsByteArrayAsync(), 2 * Megabyte);
        for (var i = 0; i < echoes.Length; i++)
        {
            using var echo = await echoes[i];
            Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (echo.StatusCode, echo.Version));
            Assert.Equal($"h2-{i}", await echo.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Default_OnLinux_EpollEventLoopsRunTheProxy_AndSocketsRunsNone()
    {
        Assert.True(OperatingSystem.IsLinux(), "the epoll transport is the default on Linux only");
        var ports = new TransportFixture.Listeners(FreePort.Next(), FreePort.Next());
        await using var proxy = await TransportProxy.StartAsync(fixture.Snapshot("proxy-default", ports), "proxy-default", transport: null);
        using (var client = ProxyProcess.OutboundClient(ports.Outbound))
            Assert.Equal("default-transport", await client.GetStringAsync("http://bulk/echo?id=default-transport"));

        var defaultThreads = proxy.ThreadNames();
        Assert.Contains(defaultThreads, name => name.StartsWith(TransportProxy.EpollThreadPrefix, StringComparison.Ordinal));
        Assert.True(fixture.Proxy(TransportFixture.Epoll).EpollThreadCount() > 0);
        var socketsThreads = fixture.Proxy(TransportFixture.Sockets).ThreadNames();
        Assert.DoesNotContain(socketsThreads, name => name.StartsWith(TransportProxy.EpollThreadPrefix, StringComparison.Ordinal));
        // What /stats tells an operator matches what runs.
        Assert.Equal("epoll", await proxy.ReportedTransportAsync());
        Assert.Equal("sockets", await fixture.Proxy(TransportFixture.Sockets).ReportedTransportAsync());
    }

    private HttpClient OutboundClient(string transport, int? receiveBuffer = null) => new(new SocketsHttpHandler
    {
        Proxy = new WebProxy($"http://127.0.0.1:{fixture.OutboundPort(transport)}"),
        UseProxy = true,
        ConnectCallback = (context, cancellationToken) => ConnectStreamAsync(context.DnsEndPoint, receiveBuffer, cancellationToken),
    })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static async ValueTask<Stream> ConnectStreamAsync(DnsEndPoint endpoint, int? receiveBuffer, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Set before connecting, so the window the client advertises is small from the start.
            if (receiveBuffer is { } size)
                socket.ReceiveBufferSize = size;
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<Socket> ConnectAsync(string transport)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, fixture.OutboundPort(transport));
        return socket;
    }

    private static async Task<byte[]> ReceiveAtLeastAsync(Socket socket, int count)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Length < count)
        {
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            if (read == 0)
                break;
            received.Write(buffer, 0, read);
        }
        Assert.True(received.Length >= count, $"the connection ended after {received.Length} bytes");
        return received.ToArray();
    }

    /// <summary>Everything the peer sends until it closes; fails if it has not closed after the usual patience.</summary>
    private static async Task<string> ReceiveToEndAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var patience = new CancellationTokenSource(Eventually.DefaultPatience);
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, patience.Token)) > 0)
                received.Write(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the proxy did not close the connection in {Eventually.DefaultPatience.TotalSeconds} s; it sent: {Encoding.ASCII.GetString(received.ToArray())}");
        }
        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>Waits for the backend to end the tagged exchange as expected; fails naming how far it got.</summary>
    private async Task AssertExchangeEndsAsync(string tag, ExchangeState expected)
    {
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(fixture.Backend.Exchanges.TryGetValue(tag, out var state) && state == expected), $"{tag} {expected}");
        }
        catch (TimeoutException)
        {
            var now = fixture.Backend.Exchanges.TryGetValue(tag, out var state) ? state.ToString() : "never seen";
            Assert.Fail($"the backend's {tag} never ended {expected}; it is {now}");
        }
    }

    /// <summary>The proxy still answers an upload and an echo correctly.</summary>
    private async Task AssertServesAsync(string transport, string id)
    {
        using var client = OutboundClient(transport);
        Assert.Equal(id, await client.GetStringAsync($"http://bulk/echo?id={id}"));
        var upload = BulkBackend.RandomBytes(Megabyte, seed: 3);
        using var uploaded = await client.PostAsync($"http://bulk/upload?tag={id}", new ByteArrayContent(upload));
        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        Assert.Equal(BulkBackend.UploadReceipt(upload), await uploaded.Content.ReadAsStringAsync());
    }

    private static void AssertPattern(byte[] body, long expectedLength)
    {
        Assert.Equal(expectedLength, body.LongLength);
        AssertPatternAt(body, 0);
    }

    /// <summary>Fails at the first byte that is not the download pattern's, naming its offset.</summary>
    private static void AssertPatternAt(ReadOnlySpan<byte> bytes, long offset)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != BulkBackend.At(offset + i))
                Assert.Fail($"byte {offset + i} of the download is {bytes[i]}, not {BulkBackend.At(offset + i)}");
        }
    }
}
