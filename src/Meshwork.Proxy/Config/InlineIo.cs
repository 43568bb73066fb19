namespace Meshwork.Proxy.Config;

/// <summary>
/// One thread per request instead of three. By default a socket event is handed from the epoll
/// thread to the thread pool, Kestrel queues the request again, and the upstream response comes back
/// through the same two hops: a context switch and a wake-up each, which on a sidecar pinned to one
/// core cost more CPU than the proxying itself (bench/proxy.sh, docs/benchmarks.md). Inline I/O runs
/// socket continuations and Kestrel's request processing on the epoll thread that received the data,
/// as nginx's event loop does. The price is that blocking in the data path stalls every connection on
/// that thread: nothing in the proxy's request path blocks (policy regexes have timeouts, delays
/// are timers), and control-plane messages are handed to the thread pool before they are applied.
/// </summary>
public static class InlineIo
{
    /// <summary>Read once by .NET when the first socket is created, so it must be set before that.</summary>
    public const string SocketCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void Configure(IWebHostBuilder webHost, ProxyOptions options)
    {
        // An explicit environment setting wins, so an operator can compare both modes without a rebuild.
        if (options.InlineIo && Environment.GetEnvironmentVariable(SocketCompletionsVariable) is null)
            Environment.SetEnvironmentVariable(SocketCompletionsVariable, "1");
        var inline = Environment.GetEnvironmentVariable(SocketCompletionsVariable) == "1";
        webHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
    }
}
