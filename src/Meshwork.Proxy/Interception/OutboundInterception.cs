using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// The outbound intercept listener (Istio's 15001): the app's TCP connections to any address,
/// redirected here by the nat rules (<see cref="InterceptionRules"/>). HTTP goes on to the outbound
/// mesh pipeline exactly as a request through HTTP_PROXY would (the Host header names the service);
/// anything else is relayed as TCP to the connection's original destination.
/// </summary>
public static class OutboundInterception
{
    public static void Use(ListenOptions listen, TimeSpan detectionTimeout, TimeSpan connectTimeout, ILogger logger) => listen.Use(next => async connection =>
    {
        var original = OriginalDestination.Read(connection);
        bool http;
        try
        {
            http = await ProtocolSniffer.IsHttpAsync(connection.Transport.Input, detectionTimeout, connection.ConnectionClosed);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException)
        {
            return;
        }
        if (http)
        {
            await next(connection);
            return;
        }
        // A direct connect to this port has nowhere to go, and a destination that is this very
        // listener would loop: both are closed.
        if (original is null || original.Equals(connection.LocalEndPoint) ||
            (connection.LocalEndPoint is IPEndPoint local && original.Port == local.Port && IPAddress.IsLoopback(original.Address)))
            return;
        await TcpPassthrough.RelayAsync(connection, original, connectTimeout, logger);
    });
}
