namespace Meshwork.Proxy.Transport;

/// <summary>
/// The descriptor of an epoll connection's socket, for socket options only (interception reads the
/// original destination with getsockopt); the connection owns it. Kestrel's socket transport
/// offers IConnectionSocketFeature instead; a .NET Socket is not made over a descriptor the epoll
/// loop owns and closes.
/// </summary>
public interface ISocketDescriptorFeature
{
    int SocketDescriptor { get; }
}
