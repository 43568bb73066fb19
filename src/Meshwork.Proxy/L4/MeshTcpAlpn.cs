using System.Net.Security;

namespace Meshwork.Proxy.L4;

/// <summary>
/// The ALPN protocol a sidecar offers when it opens a TCP relay to another sidecar's inbound (mTLS) listener:
/// the inbound listener serves HTTP and TCP on one port, and this is how it tells a relayed connection from
/// HTTP before reading a byte. A sidecar that does not know it negotiates no protocol, and the caller refuses the hop.
/// </summary>
public static class MeshTcpAlpn
{
    public static readonly SslApplicationProtocol Protocol = new("meshwork-tcp/1");
}
