using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;

namespace Meshwork.Proxy.L4;

/// <summary>
/// One connection an app opened to a TcpRoute's port (or made to a route's destination and intercepted, see
/// <see cref="Interception.InterceptedTcpRoute"/>): picks the backend by weight from the snapshot serving now (so a
/// change applies to new connections, and established ones keep their backend), connects to an endpoint within the
/// cluster's connection limit, over mTLS to the destination sidecar for a mesh cluster (the peer must present the
/// SPIFFE id of the cluster's service, as on the HTTP path), and relays bytes until either side closes or none move
/// for the cluster's connectionPool.tcpIdleTimeout.
/// </summary>
public sealed class TcpOutboundRelay(MeshRuntime runtime, TcpClusterSlots slots, ILogger<TcpOutboundRelay> logger)
{
    /// <summary>A connection accepted on the route's own listener.</summary>
    public async Task HandleAsync(Socket client, int port, CancellationToken stopping)
    {
        using var _ = client;
        client.NoDelay = true;
        var current = runtime.Current;
        var listener = current?.Model.TcpListeners.FirstOrDefault(l => l.Port == port);
        if (current is null || listener is null)
            return; // the route went away between accept and here
        await using var network = new NetworkStream(client, ownsSocket: false);
        await RelayAsync(RelayEnd.Of(client, network), current, listener, stopping);
    }

    /// <summary>Relays <paramref name="opener"/> through <paramref name="listener"/>'s route of <paramref name="current"/>.</summary>
    public async Task RelayAsync(RelayEnd opener, RuntimeSnapshot current, TcpRouteListener listener, CancellationToken stopping)
    {
        var identity = current.Model.Identity;
        var edge = new TcpEdge(false, identity.Service, "", "", listener.RouteName) { SourceNamespace = identity.Namespace, SourceVersion = identity.Version };
        if (TcpBackendPicker.Cluster(listener.Backends) is not { } clusterName || !current.Clusters.TryGetValue(clusterName, out var cluster)
            || TcpBackendPicker.Endpoint(cluster) is not { } endpoint)
        {
            TcpMetrics.CountRefused(edge, "no_endpoint");
            return;
        }
        edge = edge with { DestinationService = cluster.Service, DestinationVersion = endpoint.Version, DestinationNamespace = cluster.Namespace };
        var pool = cluster.Settings.ConnectionPool;
        if (pool is not null && !slots.TryAcquire(cluster.Name, pool.MaxConnections))
        {
            TcpMetrics.CountRefused(edge, TcpMetrics.Overflow);
            return;
        }
        try
        {
            var started = Stopwatch.GetTimestamp();
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            connectTimeout.CancelAfter(pool?.ConnectTimeout ?? TimeSpan.FromSeconds(10));
            RelayEnd upstream;
            Socket server;
            try
            {
                (server, upstream) = await ConnectAsync(current, cluster, endpoint, connectTimeout.Token);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or AuthenticationException or FormatException)
            {
                logger.LogWarning("TCP route {Route}: connecting to {Endpoint} of {Cluster} failed: {Error}", listener.RouteName, endpoint.Address, cluster.Name, ex.Message);
                TcpMetrics.CountRefused(edge, "connect_failed");
                return;
            }
            using (server)
            await using (upstream.Read)
            {
                var idleTimeout = pool?.TcpIdleTimeout ?? ConnectionPoolSettings.DefaultTcpIdleTimeout;
                var meter = TcpMetrics.Opened(edge);
                var outcome = await ByteRelay.RunAsync(opener, upstream, meter, idleTimeout, stopping);
                TcpMetrics.Record(meter, outcome, Stopwatch.GetElapsedTime(started));
            }
        }
        finally
        {
            if (pool is not null)
                slots.Release(cluster.Name);
        }
    }

    private static async Task<(Socket, RelayEnd)> ConnectAsync(RuntimeSnapshot current, SnapshotCluster cluster, SnapshotEndpoint endpoint, CancellationToken cancellationToken)
    {
        var (host, port) = HostPort(endpoint.Address);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(host, port), cancellationToken);
            var network = new NetworkStream(socket, ownsSocket: false);
            if (!cluster.MeshTls)
                return (socket, RelayEnd.Of(socket, network));
            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            var expectedPeer = SnapshotCompiler.SpiffeId(current.Model.Identity.TrustDomain, cluster.Namespace, cluster.Service);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = [MeshTcpAlpn.Protocol],
                ClientCertificates = current.Certificate is { } certificate ? [certificate] : null,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => current.Certificate!,
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is X509Certificate2 peer && SpiffeCertificates.ChainsToBundle(peer, current.TrustBundle, current.Intermediates)
                    && string.Equals(SpiffeCertificates.GetSpiffeId(peer), expectedPeer, StringComparison.Ordinal),
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, cancellationToken);
            if (tls.NegotiatedApplicationProtocol != MeshTcpAlpn.Protocol)
                throw new AuthenticationException($"the sidecar at {endpoint.Address} does not relay TCP (no {MeshTcpAlpn.Protocol} in ALPN)");
            return (socket, new RelayEnd(tls, tls, () => new ValueTask(tls.ShutdownAsync())));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A snapshot endpoint address (host:port or [v6]:port; the runtime builder checked its form).</summary>
    internal static (string Host, int Port) HostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        var host = address[..colon].Trim('[', ']');
        return (host, int.Parse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
    }
}
