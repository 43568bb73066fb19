using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Http1;

/// <summary>The lean connections of one event loop, touched on its thread only, for the deadline sweep.</summary>
internal sealed class LeanLoop(EpollLoop loop)
{
    public EpollLoop Loop { get; } = loop;

    public HashSet<LeanConnection> Connections { get; } = [];

    /// <summary>On the loop thread: acts on every deadline that passed (a connection may end meanwhile, so over a copy).</summary>
    public void Sweep()
    {
        if (Connections.Count == 0)
            return;
        var now = Environment.TickCount64;
        foreach (var connection in Connections.ToArray())
            connection.CheckDeadline(now);
    }
}

/// <summary>Kestrel's limits the lean path keeps: the head limits, and the keep-alive and request headers timeouts.</summary>
internal sealed record LeanSettings(LeanLimits Limits, TimeSpan KeepAliveTimeout, TimeSpan RequestHeadersTimeout);
