using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Transport;
using Yarp.ReverseProxy.Forwarder;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Builds each cluster's HttpMessageInvoker: mTLS with the proxy's own certificate (read per
/// handshake from the serving snapshot, so certificate rotation needs no new pool), the peer
/// verified against the snapshot's trust bundle only and required to present the SPIFFE id of the
/// service the cluster is for (a workload of another service, even with a valid mesh certificate,
/// gets no request: the handshake fails and is counted), connection-pool settings (max connections
/// for the whole cluster, <see cref="ClusterConnections"/>), and the <see cref="RetryHandler"/> on top. A client is reused whenever its config and the pool
/// settings in its metadata did not change, so config pushes keep connections warm.
/// </summary>
public sealed class MeshHttpClientFactory(
    MeshRuntime runtime, ClusterCounterRegistry counters, ILogger<ForwarderHttpClientFactory> logger, ILogger<MeshHttpClientFactory> identityLogger, EpollLoops? epoll = null)
    : ForwarderHttpClientFactory(logger)
{
    // The expected peer identity is part of the key: a cluster whose service or trust domain changed
    // must not keep connections verified for the old identity.
    private static readonly string[] PoolKeys =
        [YarpConfigBuilder.ConnectTimeoutKey, YarpConfigBuilder.IdleTimeoutKey, YarpConfigBuilder.MaxRequestsPerConnectionKey, YarpConfigBuilder.UpstreamSpiffeIdKey];

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        base.CanReuseOldClient(context) && PoolKeys.All(key => Get(context.OldMetadata, key) == Get(context.NewMetadata, key));

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        var metadata = context.NewMetadata;
        if (Ticks(metadata, YarpConfigBuilder.ConnectTimeoutKey) is { } connect && connect > TimeSpan.Zero)
            handler.ConnectTimeout = connect;
        if (Ticks(metadata, YarpConfigBuilder.IdleTimeoutKey) is { } idle && idle > TimeSpan.Zero)
            handler.PooledConnectionIdleTimeout = idle;

        // MaxConnectionsPerServer (from HttpClientConfig) bounds each endpoint; this bounds the cluster.
        if (context.NewConfig.MaxConnectionsPerServer is { } maxConnections)
        {
            var connections = new ClusterConnections(counters.For(context.ClusterId));
            handler.ConnectCallback = (connection, cancellationToken) => CountedConnectAsync(connections, maxConnections, connection, cancellationToken);
        }
        else if (epoll is not null)
        {
            handler.ConnectCallback = (connection, cancellationToken) => ConnectAsync(connection.DnsEndPoint, cancellationToken);
        }

        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => runtime.Current?.Certificate!;
        var clusterId = context.ClusterId;
        // Only mesh (https) clusters carry it; without one no TLS peer is accepted (fail closed).
        var expectedPeer = Get(metadata, YarpConfigBuilder.UpstreamSpiffeIdKey);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            var current = runtime.Current;
            if (current is null || certificate is not X509Certificate2 peer ||
                !SpiffeCertificates.ChainsToBundle(peer, current.TrustBundle, current.Intermediates))
                return false;
            var presented = SpiffeCertificates.GetSpiffeId(peer);
            if (expectedPeer is not null && string.Equals(presented, expectedPeer, StringComparison.Ordinal))
                return true;
            counters.For(clusterId).CountPeerIdentityRefused();
            identityLogger.LogWarning("TLS to an endpoint of cluster {Cluster} refused: it presented {Presented}, the cluster expects {Expected}",
                clusterId, presented, expectedPeer ?? "(no mesh identity)");
            return false;
        };
        // A client certificate must be offered even when the server's CA list is empty.
        if (runtime.Current?.Certificate is { } cert)
            handler.SslOptions.ClientCertificates = [cert];
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new RetryHandler(base.WrapHandler(context, handler));

    /// <summary>A connection (on the epoll loops, or SocketsHttpHandler's own dual-mode, no-Nagle connect) inside a cluster connection slot.</summary>
    private async ValueTask<Stream> CountedConnectAsync(ClusterConnections connections, int limit, SocketsHttpConnectionContext connect, CancellationToken cancellationToken)
    {
        var endpoint = $"{connect.DnsEndPoint.Host}:{connect.DnsEndPoint.Port.ToString(CultureInfo.InvariantCulture)}";
        await connections.AcquireAsync(endpoint, limit, cancellationToken);
        try
        {
            return new CountedConnectionStream(await ConnectAsync(connect.DnsEndPoint, cancellationToken), connections, endpoint);
        }
        catch
        {
            connections.Release(endpoint);
            throw;
        }
    }

    private ValueTask<Stream> ConnectAsync(System.Net.DnsEndPoint endpoint, CancellationToken cancellationToken) =>
        UpstreamConnect.ConnectAsync(epoll, endpoint, cancellationToken);

    private static string? Get(IReadOnlyDictionary<string, string>? metadata, string key) =>
        metadata is not null && metadata.TryGetValue(key, out var value) ? value : null;

    private static TimeSpan? Ticks(IReadOnlyDictionary<string, string>? metadata, string key) =>
        Get(metadata, key) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) ? TimeSpan.FromTicks(ticks) : null;
}
