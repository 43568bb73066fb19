using System.Net.Sockets;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Status;
using Meshwork.Testing.Processes;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// TCP route traffic in the control plane's status stream: real sidecars relay real TCP connections (HTTP/1.1 bytes to
/// the orders app through a TcpRoute on the web sidecar), report them in their stats, and the control plane shows the
/// TCP edge web v1 -> orders v1 with its connections and bytes, bytes growing while a connection stays open, and the
/// rates back at zero once traffic stops.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class TcpTrafficSignalsTests(MeshFixture mesh) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TcpEdge_ShowsConnectionsAndBytes_GrowingWhileOpen_AndDropsToZeroAfterTrafficStops()
    {
        var port = FreePort.Next();
        await mesh.ApplyAsync(new TcpRoute
        {
            Metadata = new ResourceMetadata { Name = "orders-tcp" },
            Service = "orders",
            Port = port,
            Rules = [new TcpRouteRule { BackendRefs = [new BackendRef { Service = "orders", Version = "v1", Weight = 100 }] }],
        });
        await using var status = new StatusWatcher(mesh.ControlPlane);
        var relayed = new List<CountingConnection>();

        // The first connection that gets a response: the web sidecar bound the route's port and relays to orders v1.
        var held = await OpenRelayedAsync(port, relayed);

        // Bytes of a connection that stays open reach the control plane while it is open.
        await WaitForEdgeAsync(status, e => e.Active == 1 && e.ReceivedBytesTotal == Received(relayed) && e.SentBytesTotal == Sent(relayed),
            "the open connection's bytes, with it active", relayed);
        var before = Edge(status)!.ReceivedBytesTotal;
        for (var i = 0; i < 20; i++) await held.GetAsync();
        await WaitForEdgeAsync(status, e => e.Active == 1 && e.ReceivedBytesTotal == Received(relayed) && e.SentBytesTotal == Sent(relayed),
            "the bytes grown on the same open connection", relayed);
        Assert.True(Edge(status)!.ReceivedBytesTotal > before);

        // More connections, each closed after one exchange; then the held one closes too.
        for (var i = 0; i < 4; i++)
        {
            await using var connection = await OpenRelayedAsync(port, relayed);
        }
        await held.DisposeAsync();
        await WaitForEdgeAsync(status, e => e.Active == 0 && e.OpenedTotal == (ulong)relayed.Count && e.Closed > 0
                && e.ReceivedBytesTotal == Received(relayed) && e.SentBytesTotal == Sent(relayed) && e.ConnectFailures == 0,
            "every connection opened and closed, every byte counted", relayed);

        // Traffic stopped: the edge stays in the complete set with its rates at zero.
        await WaitForEdgeAsync(status, e => e.Active == 0 && e.ConnectionsPerSecond == 0 && e.ReceivedBytesPerSecond == 0 && e.SentBytesPerSecond == 0,
            "the edge's rates back at zero", relayed);
        Assert.Equal((ulong)relayed.Count, Edge(status)!.OpenedTotal);
    }

    private static TcpEdgeSignals? Edge(StatusWatcher status) => status.Feed.TcpEdges.SingleOrDefault(e =>
        e.SourceService == "web" && e.SourceVersion == "v1" && e.DestinationService == "orders" && e.DestinationVersion == "v1"
        && e.SourceNamespace == "default" && e.DestinationNamespace == "default");

    private static async Task WaitForEdgeAsync(StatusWatcher status, Func<TcpEdgeSignals, bool> condition, string what, List<CountingConnection> relayed)
    {
        try
        {
            await status.WaitUntilAsync(s => Edge(s) is { } edge && condition(edge), Generous, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; client: {relayed.Count} connection(s), {Received(relayed)} bytes sent, {Sent(relayed)} read; " +
                                       $"status: {Edge(status)}", ex);
        }
    }

    private static ulong Received(List<CountingConnection> relayed) => (ulong)relayed.Sum(c => c.Written);

    private static ulong Sent(List<CountingConnection> relayed) => (ulong)relayed.Sum(c => c.Read);

    /// <summary>Connects to the route's port on the web sidecar until an HTTP exchange through it succeeds (the listener is bound once the snapshot is applied).</summary>
    private async Task<CountingConnection> OpenRelayedAsync(int port, List<CountingConnection> relayed)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (true)
        {
            var connection = new CountingConnection(mesh.Web.TcpBindAddress, port);
            try
            {
                await connection.GetAsync();
                relayed.Add(connection);
                return connection;
            }
            catch (HttpRequestException ex) when (ex.InnerException is SocketException && DateTime.UtcNow < deadline)
            {
                // Not bound yet: refused before anything was relayed.
                await connection.DisposeAsync();
                await Task.Delay(200);
            }
        }
    }

    /// <summary>One TCP connection through the route, carrying HTTP/1.1 requests, counting every byte it writes and reads.</summary>
    private sealed class CountingConnection : IAsyncDisposable
    {
        private long written;
        private long read;
        private readonly HttpClient client;

        public CountingConnection(string host, int port) => client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(host, port, ct);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                return new CountingStream(new NetworkStream(socket, ownsSocket: true), bytes => Interlocked.Add(ref written, bytes), bytes => Interlocked.Add(ref read, bytes));
            },
        }) { Timeout = TimeSpan.FromSeconds(30) };

        public long Written => Interlocked.Read(ref written);
        public long Read => Interlocked.Read(ref read);

        public async Task GetAsync()
        {
            using var response = await client.GetAsync("http://orders/");
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }

        public ValueTask DisposeAsync()
        {
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CountingStream(Stream inner, Action<int> wrote, Action<int> readBytes) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            readBytes(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            readBytes(n);
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            wrote(count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            wrote(buffer.Length);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
