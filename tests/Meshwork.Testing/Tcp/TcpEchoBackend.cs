using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Testing.Tcp;

/// <summary>
/// A real TCP app for the L4 tests: on every connection it first writes its version and a newline (so a test
/// sees which backend the relay picked), then echoes every byte until the peer half-closes, then closes.
/// </summary>
public sealed class TcpEchoBackend : IAsyncDisposable
{
    private readonly Socket listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    public TcpEchoBackend(string version)
    {
        Version = version;
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(256);
        accepting = AcceptAsync();
    }

    public string Version { get; }
    public string Address => $"127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}";

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => EchoAsync(client));
        }
    }

    private async Task EchoAsync(Socket client)
    {
        using var _ = client;
        try
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(Version + "\n"));
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await client.ReceiveAsync(buffer, stop.Token)) > 0)
                await client.SendAsync(buffer.AsMemory(0, read), stop.Token);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Dispose();
        await accepting;
    }
}
