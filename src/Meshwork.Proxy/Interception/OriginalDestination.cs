using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// Where an intercepted connection was going before the nat table's REDIRECT sent it to this proxy:
/// SO_ORIGINAL_DST (netfilter's conntrack entry, read on the accepted socket), as Envoy's
/// original_dst listener filter reads it. IPv4 only: the rules installer redirects IPv4 traffic.
/// </summary>
public static class OriginalDestination
{
    private const int SolIp = 0;
    private const int SoOriginalDst = 80;

    /// <summary>
    /// The original destination of an accepted connection (on either transport), or null when it was
    /// not redirected (a direct connect to the port) or the transport does not say its socket.
    /// </summary>
    public static IPEndPoint? Read(ConnectionContext connection)
    {
        if (connection.Features.Get<ISocketDescriptorFeature>() is { } epoll)
            return Read(epoll.SocketDescriptor);
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            return Read((int)socket.SafeHandle.DangerousGetHandle());
        return null;
    }

    private static unsafe IPEndPoint? Read(int descriptor)
    {
        // struct sockaddr_in: family (2 bytes, host order), port (2, network order), address (4), padding (8).
        Span<byte> address = stackalloc byte[16];
        var length = address.Length;
        fixed (byte* buffer = address)
        {
            if (Libc.getsockopt(descriptor, SolIp, SoOriginalDst, (int*)buffer, &length) != 0)
                return null;
        }
        if (length < 8 || BinaryPrimitives.ReadUInt16LittleEndian(address) != (ushort)AddressFamily.InterNetwork)
            return null;
        return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
    }
}
