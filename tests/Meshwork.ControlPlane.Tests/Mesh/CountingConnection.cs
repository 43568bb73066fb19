using System.Net.Sockets;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>One TCP connection through a TcpRoute, carrying HTTP/1.1 requests to the orders app, counting every byte it writes and reads.</summary>
internal sealed class CountingConnection : IAsyncDisposable
{
    /// <summary>Connects to a TcpRoute's port on a sidecar until an HTTP exchange through it succeeds (the listener is bound once the snapshot is applied).</summary>
    public static async Task<CountingConnection> OpenRelayedAsync(string host, int port, List<CountingConnection> relayed, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var connection = new CountingConnection(host, port);
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

internal sealed class CountingStream(Stream inner, Action<int> wrote, Action<int> readBytes) : Stream
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
