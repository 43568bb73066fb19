using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// The Linux calls the epoll transport makes itself (glibc). Only what <see cref="EpollLoop"/>,
/// <see cref="EpollSocket"/> and the listener and connector need; errors come back as errno.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc.so.6";

    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNABORTED = 103;
    public const int EPOLL_CTL_ADD = 1;
    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000, EPOLLET = 1u << 31;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000, EPOLL_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const int AF_INET = 2, AF_INET6 = 10;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26, IPPROTO_TCP = 6, TCP_NODELAY = 1;
    public const int SHUT_RDWR = 2, MSG_NOSIGNAL = 0x4000;

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Library, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);
    [LibraryImport(Library, SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);
    [LibraryImport(Library, SetLastError = true)] public static partial int eventfd(uint initval, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial nint write(int fd, byte* buf, nuint count);
    [LibraryImport(Library, SetLastError = true)] public static partial nint read(int fd, byte* buf, nuint count);
    [LibraryImport(Library, SetLastError = true)] public static partial nint recv(int fd, byte* buf, nuint len, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial nint send(int fd, byte* buf, nuint len, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial int accept4(int fd, byte* addr, int* addrlen, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Library, SetLastError = true)] public static partial int connect(int fd, byte* addr, int addrlen);
    [LibraryImport(Library, SetLastError = true)] public static partial int bind(int fd, byte* addr, int addrlen);
    [LibraryImport(Library, SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport(Library, SetLastError = true)] public static partial int shutdown(int fd, int how);
    [LibraryImport(Library, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Library, SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, int* value, int len);
    [LibraryImport(Library, SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, int* value, int* len);
    [LibraryImport(Library, SetLastError = true)] public static partial int getsockname(int fd, byte* addr, int* len);
    [LibraryImport(Library, SetLastError = true)] public static partial int getpeername(int fd, byte* addr, int* len);

    [LibraryImport(Library, SetLastError = true)] public static partial nint sendmsg(int fd, MessageHeader* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public nint Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    public static SocketException Error(int errno) => new(errno == 0 ? (int)SocketError.SocketError : ErrnoToSocketError(errno));

    /// <summary>SocketException takes a SocketError code; the ones a proxy meets on TCP.</summary>
    private static int ErrnoToSocketError(int errno) => errno switch
    {
        104 => (int)SocketError.ConnectionReset,
        32 => (int)SocketError.Shutdown,
        111 => (int)SocketError.ConnectionRefused,
        110 => (int)SocketError.TimedOut,
        113 => (int)SocketError.HostUnreachable,
        101 => (int)SocketError.NetworkUnreachable,
        98 => (int)SocketError.AddressAlreadyInUse,
        99 => (int)SocketError.AddressNotAvailable,
        24 or 23 => (int)SocketError.TooManyOpenSockets,
        9 => (int)SocketError.OperationAborted,
        _ => (int)SocketError.SocketError,
    };

    /// <summary>A non-blocking, close-on-exec TCP socket of the endpoint's family.</summary>
    public static int TcpSocket(AddressFamily family)
    {
        var fd = socket(family == AddressFamily.InterNetworkV6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        return fd >= 0 ? fd : throw Error(Errno);
    }

    public static void SetNoDelay(int fd) => SetOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);

    public static int SetOption(int fd, int level, int name, int value) => setsockopt(fd, level, name, &value, sizeof(int));

    /// <summary>Writes a sockaddr_in / sockaddr_in6 for the endpoint; returns its length.</summary>
    public static int WriteSocketAddress(IPEndPoint endpoint, Span<byte> target)
    {
        target.Clear();
        var port = (ushort)endpoint.Port;
        target[2] = (byte)(port >> 8);
        target[3] = (byte)port;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(target, (ushort)AF_INET);
            endpoint.Address.TryWriteBytes(target[4..8], out _);
            return 16;
        }
        BitConverter.TryWriteBytes(target, (ushort)AF_INET6);
        endpoint.Address.TryWriteBytes(target[8..24], out _);
        BitConverter.TryWriteBytes(target[24..28], (uint)endpoint.Address.ScopeId);
        return 28;
    }

    public static IPEndPoint? ReadSocketAddress(ReadOnlySpan<byte> source)
    {
        var family = BitConverter.ToUInt16(source);
        var port = (source[2] << 8) | source[3];
        return family switch
        {
            AF_INET => new IPEndPoint(new IPAddress(source[4..8]), port),
            AF_INET6 => new IPEndPoint(new IPAddress(source[8..24], BitConverter.ToUInt32(source[24..28])), port),
            _ => null,
        };
    }

    /// <summary>bind(2) to the endpoint: 0 or errno.</summary>
    public static int Bind(int fd, IPEndPoint endpoint)
    {
        var address = stackalloc byte[32];
        var length = WriteSocketAddress(endpoint, new Span<byte>(address, 32));
        return bind(fd, address, length) == 0 ? 0 : Errno;
    }

    /// <summary>connect(2) to the endpoint: 0, EINPROGRESS (non-blocking) or errno.</summary>
    public static int Connect(int fd, IPEndPoint endpoint)
    {
        var address = stackalloc byte[32];
        var length = WriteSocketAddress(endpoint, new Span<byte>(address, 32));
        return connect(fd, address, length) == 0 ? 0 : Errno;
    }

    public static IPEndPoint? LocalEndPoint(int fd) => EndPoint(fd, peer: false);

    public static IPEndPoint? RemoteEndPoint(int fd) => EndPoint(fd, peer: true);

    private static IPEndPoint? EndPoint(int fd, bool peer)
    {
        Span<byte> address = stackalloc byte[128];
        var length = address.Length;
        fixed (byte* pointer = address)
        {
            var result = peer ? getpeername(fd, pointer, &length) : getsockname(fd, pointer, &length);
            return result == 0 ? ReadSocketAddress(address) : null;
        }
    }
}
