using Meshwork.Proxy.Config;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>Which socket layer carries the proxy's traffic (<c>Proxy:Transport</c>).</summary>
public enum ProxyTransportKind
{
    /// <summary>The proxy's own epoll event loops for listeners and upstream connections (Linux; the default).</summary>
    Epoll,

    /// <summary>.NET's socket engine: Kestrel's socket transport and SocketsHttpHandler's own connect.</summary>
    Sockets,
}

public static class ProxyTransport
{
    /// <summary>
    /// Epoll needs Linux and inline I/O (its continuations run on the event loop by design); anything
    /// else falls back to the socket transport, which <see cref="InlineIo"/> configured.
    /// </summary>
    public static bool UsesEpoll(ProxyOptions options) =>
        options.Transport == ProxyTransportKind.Epoll && OperatingSystem.IsLinux() &&
        Environment.GetEnvironmentVariable(InlineIo.SocketCompletionsVariable) == "1";

    public static void Configure(IWebHostBuilder webHost, IServiceCollection services, ProxyOptions options)
    {
        if (!UsesEpoll(options))
            return;
        services.AddSingleton<EpollLoops>();
        // Kestrel takes the last registered factory that can bind an endpoint.
        webHost.ConfigureServices(kestrelServices => kestrelServices.AddSingleton<IConnectionListenerFactory, EpollTransportFactory>());
    }
}
