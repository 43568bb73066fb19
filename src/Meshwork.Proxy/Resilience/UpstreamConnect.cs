using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Resilience;

/// <summary>How YARP's handler opens a plain TCP connection to an upstream endpoint (the lean HTTP/1.1 path connects on its own loop: <see cref="Http1.LeanUpstream"/>).</summary>
public static class UpstreamConnect
{
    /// <summary>On the epoll loops when the proxy runs them (<paramref name="epoll"/> not null), else as SocketsHttpHandler connects (dual-mode, no Nagle).</summary>
    public static ValueTask<Stream> ConnectAsync(EpollLoops? epoll, DnsEndPoint endpoint, CancellationToken cancellationToken) =>
        epoll is not null ? EpollStream.ConnectAsync(epoll, endpoint, cancellationToken) : SocketConnectAsync(endpoint, cancellationToken);

    private static async ValueTask<Stream> SocketConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
