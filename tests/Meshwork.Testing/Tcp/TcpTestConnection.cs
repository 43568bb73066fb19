using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Testing.Tcp;

/// <summary>A client connection to a TcpRoute port (shared by the proxy tests and the e2e journeys), reading with a generous timeout so a broken relay fails the test instead of hanging it.</summary>
public sealed class TcpTestConnection(Socket socket) : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly NetworkStream stream = new(socket, ownsSocket: true);

    public static async Task<TcpTestConnection> OpenAsync(IPAddress sidecar, int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(sidecar, port));
        return new TcpTestConnection(socket);
    }

    public async Task<string> ReadLineAsync()
    {
        var line = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (await stream.ReadAsync(one, timeout.Token) == 1 && one[0] != '\n')
            line.Append((char)one[0]);
        return line.ToString();
    }

    /// <summary>Sends the payload without reading (for a connection that should get nothing back).</summary>
    public async Task WriteAsync(byte[] payload)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        await stream.WriteAsync(payload, timeout.Token);
    }

    /// <summary>Sends the payload while reading the echo back (both at once, so neither side's buffers fill up).</summary>
    public async Task<byte[]> EchoAsync(byte[] payload)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var send = stream.WriteAsync(payload, timeout.Token).AsTask();
        var echoed = new byte[payload.Length];
        await stream.ReadExactlyAsync(echoed, timeout.Token);
        await send;
        return echoed;
    }

    public async Task<int> ReadToEndCountAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var buffer = new byte[1024];
        int read, total = 0;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            total += read;
        return total;
    }

    /// <summary>
    /// Sends nothing and waits until the other side closes the connection (end of stream or a reset, both count);
    /// returns the bytes that arrived meanwhile. Throws when it stays open for the whole read timeout.
    /// </summary>
    public async Task<int> WaitUntilClosedAsync()
    {
        try
        {
            return await ReadToEndCountAsync();
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync() => await stream.DisposeAsync();
}
