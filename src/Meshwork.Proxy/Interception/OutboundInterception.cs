using System.Net;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.L4;
using Meshwork.Proxy.Runtime;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// The outbound intercept listener (Istio's 15001): the app's TCP connections to any address,
/// redirected here by the nat rules (<see cref="InterceptionRules"/>). HTTP goes on to the outbound
/// mesh pipeline exactly as a request through HTTP_PROXY would (the Host header names the service);
/// anything else made to a TcpRoute's destination (<see cref="InterceptedTcpRoute"/>) takes that route
/// as a connection to the route's port does, and the rest is relayed as TCP to the original destination.
/// </summary>
public sealed class OutboundInterception(MeshRuntime runtime, TcpOutboundRelay routes, IOptions<ProxyOptions> options, ILogger<OutboundInterception> logger)
{
    private readonly IPAddress tcpBindAddress = options.Value.TcpListenerAddress();

    public void Use(ListenOptions listen)
    {
        if (options.Value.InterceptIdleTimeout <= TimeSpan.Zero)
            throw new InvalidOperationException($"{ProxyOptions.Section}:{nameof(ProxyOptions.InterceptIdleTimeout)} '{options.Value.InterceptIdleTimeout}' must be positive (default 01:00:00)");
        listen.Use(Intercept);
    }

    private ConnectionDelegate Intercept(ConnectionDelegate next) => async connection =>
    {
        var settings = options.Value;
        var original = OriginalDestination.Read(connection);
        bool http;
        try
        {
            http = await ProtocolSniffer.IsHttpAsync(connection.Transport.Input, settings.InterceptDetectionTimeout, connection.ConnectionClosed);
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
        if (runtime.Current is { } current && InterceptedTcpRoute.Find(current, original, tcpBindAddress) is { } route)
        {
            await routes.RelayAsync(RelayEnd.Of(connection, SniffedInput.Take(connection.Transport.Input)), current, route, connection.ConnectionClosed);
            return;
        }
        await TcpPassthrough.RelayAsync(connection, original, settings.InterceptConnectTimeout, settings.InterceptIdleTimeout, logger);
    };
}
