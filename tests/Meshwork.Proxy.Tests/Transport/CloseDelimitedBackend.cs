using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>
/// An upstream whose responses end when it closes the connection (no Content-Length, no chunking),
/// as HTTP/1.0 servers and many simple ones answer: Kestrel cannot be made to do this. Every request
/// gets <see cref="BodyLength"/> bytes of <see cref="BulkBackend.Pattern"/>, sent in one write right
/// before the FIN, so the end of the stream arrives together with the last data.
/// </summary>
public sealed class CloseDelimitedBackend : IAsyncDisposable
{
    public const int BodyLength = 128 * 1024;

    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    private CloseDelimitedBackend(TcpListener listener)
    {
        this.listener = listener;
        accepting = AcceptAsync();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public static CloseDelimitedBackend Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, FreePort.Next());
        listener.Start();
        return new CloseDelimitedBackend(listener);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var buffer = new byte[16 * 1024];
                var head = new StringBuilder();
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await socket.ReceiveAsync(buffer, stopping.Token);
                    if (read == 0)
                        return;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
                    .Concat(BulkBackend.Pattern.Take(BodyLength)).ToArray();
                await socket.SendAsync(response, stopping.Token);
                socket.Shutdown(SocketShutdown.Send);
                // Closed only once the proxy closed its side: closing with unread data would reset the connection instead.
                while (await socket.ReceiveAsync(buffer, stopping.Token) > 0)
                {
                }
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
    }
}
