using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Runtime;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.L4;

/// <summary>
/// The outbound TCP listeners, one per TcpRoute port of the serving snapshot, on <see cref="ProxyOptions.TcpBindAddress"/>
/// (loopback by default: whoever connects sends with this proxy's identity). Unlike the HTTP listeners their ports
/// follow the snapshot: a new route's port is bound when the snapshot arrives, a removed route's listener stops
/// accepting while its established connections run on. A port that cannot be bound is logged and tried again
/// with the next snapshot.
/// </summary>
public sealed class TcpRouteListeners(MeshRuntime runtime, TcpOutboundRelay relay, IOptions<ProxyOptions> options, ILogger<TcpRouteListeners> logger)
    : IHostedService
{
    private readonly Lock gate = new();
    private readonly Dictionary<int, Socket> listening = [];
    private readonly CancellationTokenSource stopping = new();
    private IPAddress address = IPAddress.Loopback;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        address = options.Value.TcpListenerAddress();
        runtime.Swapped += Reconcile;
        if (runtime.Current is { } current)
            Reconcile(current);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        runtime.Swapped -= Reconcile;
        await stopping.CancelAsync();
        lock (gate)
        {
            foreach (var socket in listening.Values)
                socket.Dispose();
            listening.Clear();
        }
    }

    private void Reconcile(RuntimeSnapshot snapshot)
    {
        var wanted = snapshot.Model.TcpListeners.Select(l => l.Port).ToHashSet();
        lock (gate)
        {
            if (stopping.IsCancellationRequested)
                return;
            foreach (var port in listening.Keys.Where(p => !wanted.Contains(p)).ToArray())
            {
                listening[port].Dispose();
                listening.Remove(port);
            }
            foreach (var port in wanted.Where(p => !listening.ContainsKey(p)))
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(address, port));
                    socket.Listen(512);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    logger.LogError("TCP route port {Address}:{Port} cannot be bound ({Error}); its connections are refused until a later snapshot binds it", address, port, ex.SocketErrorCode);
                    continue;
                }
                listening[port] = socket;
                _ = AcceptAsync(socket, port);
            }
        }
    }

    private async Task AcceptAsync(Socket listener, int port)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // the route went away (listener closed) or the proxy stops
            }
            _ = Task.Run(() => RelayAsync(client, port));
        }
    }

    private async Task RelayAsync(Socket client, int port)
    {
        try
        {
            await relay.HandleAsync(client, port, stopping.Token);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "TCP route port {Port}: relay failed", port);
        }
    }
}
