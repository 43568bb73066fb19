using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Routing;

/// <summary>https:// through HTTP_PROXY: the outbound listener refuses CONNECT tunnels plainly.</summary>
public sealed class ConnectTests
{
    [Fact]
    public async Task Connect_ToAMeshService_RefusedWith403AndHeaderNothingForwarded()
    {
        await using var orders = await ScriptedBackend.StartAsync("orders-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-connect", [PlainSidecar.Service("orders")], ("orders", orders));

        // What an app sends for https://orders/ with HTTP_PROXY set.
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, sidecar.OutboundPort);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("CONNECT orders:443 HTTP/1.1\r\nHost: orders:443\r\n\r\n"));
        var head = await ReadHeadAsync(stream);

        Assert.StartsWith("HTTP/1.1 403", head);
        Assert.Contains($"{MeshMiddleware.ConnectHeader}: refused", head, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(orders.Received);

        // HttpClient reports the refused tunnel as such.
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => sidecar.Client.GetAsync("https://orders/"));
        Assert.Contains("403", error.Message);
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var received = new StringBuilder();
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!received.ToString().Contains("\r\n\r\n"))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
                break;
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return received.ToString();
    }
}
