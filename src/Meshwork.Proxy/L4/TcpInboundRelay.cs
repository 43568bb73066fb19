using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Meshwork.Model.Policy;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.L4;

/// <summary>
/// The destination side of a TCP relay, as Kestrel connection middleware on the inbound (mTLS) listener, after
/// the handshake: a connection that negotiated <see cref="MeshTcpAlpn"/> is checked against the access policies
/// for its peer's SPIFFE id (as a TCP connection: sources only, see <see cref="AccessPolicyEvaluator"/>); a denied
/// one is closed and counted, an allowed one relayed to the local app (closed after the own service's
/// connectionPool.tcpIdleTimeout without bytes either way). Every other connection goes on to HTTP.
/// </summary>
public static class TcpInboundRelay
{
    /// <summary>Adds the relay protocol to those the inbound listener offers (HTTP's h2 and http/1.1 stay first).</summary>
    public static void OfferAlpn(SslServerAuthenticationOptions ssl) =>
        ssl.ApplicationProtocols = [.. ssl.ApplicationProtocols ?? [], MeshTcpAlpn.Protocol];

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(Func<MeshRuntime> runtime) => next => async connection =>
    {
        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        if (!alpn.Span.SequenceEqual(MeshTcpAlpn.Protocol.Protocol.Span))
        {
            await next(connection);
            return;
        }
        await RelayAsync(connection, runtime());
    };

    private static async Task RelayAsync(ConnectionContext connection, MeshRuntime runtime)
    {
        var current = runtime.Current;
        if (current is null)
            return;
        var identity = current.Model.Identity;
        var certificate = connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
        var principal = certificate is null ? null : SpiffeCertificates.GetSpiffeId(certificate);
        var (sourceNamespace, sourceService) = AccessRequest.ParseSpiffeId(principal);
        var edge = new TcpEdge(true, sourceService ?? "unknown", identity.Service, identity.Version, "")
        {
            SourceNamespace = sourceNamespace ?? "",
            DestinationNamespace = identity.Namespace,
        };
        var decision = AccessPolicyEvaluator.Evaluate(current.Policies, current.DefaultMode, new AccessRequest
        {
            DestinationService = identity.Service,
            DestinationNamespace = identity.Namespace,
            SourcePrincipal = principal,
            SourceService = sourceService,
            SourceNamespace = sourceNamespace,
            Tcp = true,
        });
        if (!decision.Allowed)
        {
            TcpMetrics.CountRefused(edge, TcpMetrics.Denied);
            return; // Kestrel closes the connection when the middleware returns
        }
        if (!current.Clusters.TryGetValue(current.Model.Inbound.AppCluster, out var app) || app.Endpoints.Count == 0)
        {
            TcpMetrics.CountRefused(edge, "no_endpoint");
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var (host, port) = TcpOutboundRelay.HostPort(app.Endpoints[0].Address);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(host, port), connection.ConnectionClosed);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            TcpMetrics.CountRefused(edge, "connect_failed");
            return;
        }
        await using var appStream = new NetworkStream(socket, ownsSocket: false);
        var meter = TcpMetrics.Opened(edge);
        var outcome = await ByteRelay.RunAsync(RelayEnd.Of(connection), RelayEnd.Of(socket, appStream), meter, current.Model.Inbound.TcpIdleTimeout, connection.ConnectionClosed);
        TcpMetrics.Record(meter, outcome, Stopwatch.GetElapsedTime(started));
    }
}
