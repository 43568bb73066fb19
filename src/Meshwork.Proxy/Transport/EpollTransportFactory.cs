using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// Kestrel's transport for the proxy's TCP listeners when <c>Proxy:Transport</c> is <c>Epoll</c>
/// (docs/proxy.md, "Transport"). Other endpoint kinds (Unix sockets, handles) stay with Kestrel's
/// socket transport: Kestrel asks every factory whether it can bind.
/// </summary>
internal sealed class EpollTransportFactory(EpollLoops loops, IServiceProvider services, ILogger<EpollConnectionListener> logger)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Lazy<MemoryPool<byte>> memoryPool = new(() =>
        services.GetService<IMemoryPoolFactory<byte>>()?.Create(new MemoryPoolOptions { Owner = "meshwork-epoll" }) ?? MemoryPool<byte>.Shared);

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new(EpollConnectionListener.Bind((IPEndPoint)endpoint, loops, memoryPool.Value, logger));
}
