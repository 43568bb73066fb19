using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Routing;
using Wire = Meshwork.Protocol.Snapshots;

namespace Meshwork.Proxy.Config;

/// <summary>What the proxy knows before its services exist: the snapshot it starts with decides unset ports and TLS.</summary>
public static class StartupSnapshot
{
    /// <summary>The snapshot file if given and readable, else the last good snapshot, else none.</summary>
    public static Wire.ProxySnapshot? Read(ProxyOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.SnapshotFile) && options.SnapshotFile is { } file && LastGoodSnapshotStore.Load(Path.GetFullPath(file)) is { } fromFile)
            return fromFile;
        return LastGoodSnapshotStore.Load(Path.Combine(options.StateDirectory, LastGoodSnapshotStore.FileName));
    }

    public static ListenerMap Listeners(ProxyOptions options, Wire.ProxySnapshot? snapshot)
    {
        int Port(int configured, Wire.ListenerKind kind) =>
            configured != 0 ? configured : snapshot?.Listeners.FirstOrDefault(l => l.Kind == kind)?.Port ?? 0;

        var ports = new Dictionary<int, ListenerKind>();
        if (Port(options.OutboundPort, Wire.ListenerKind.Outbound) is var outbound and > 0)
            ports[outbound] = ListenerKind.Outbound;
        if (Port(options.InboundPort, Wire.ListenerKind.Inbound) is var inbound and > 0)
            ports[inbound] = ListenerKind.Inbound;
        if (Port(options.GatewayPort, Wire.ListenerKind.Gateway) is var gateway and > 0)
            ports[gateway] = ListenerKind.Gateway;
        // Intercepted connections that turn out to be HTTP are the app's outbound requests: the outbound
        // port itself may take them. Anything else sharing a port would change that listener's kind.
        AddInterceptPort(ports, options.AdminPort, options.OutboundInterceptPort, ListenerKind.Outbound, nameof(ProxyOptions.OutboundInterceptPort));
        // Connections to the app's ports, redirected: served as the inbound listener serves (mTLS, policy).
        AddInterceptPort(ports, options.AdminPort, options.InboundInterceptPort, ListenerKind.Inbound, nameof(ProxyOptions.InboundInterceptPort));
        return new ListenerMap(ports, options.AdminPort);
    }

    private static void AddInterceptPort(Dictionary<int, ListenerKind> ports, int adminPort, int port, ListenerKind kind, string setting)
    {
        if (port == 0)
            return;
        if (port is < 0 or > 65535)
            throw new InvalidOperationException($"{ProxyOptions.Section}:{setting} {port} is not a port (1-65535, or 0 for off)");
        if (port == adminPort)
            throw new InvalidOperationException($"{ProxyOptions.Section}:{setting} {port} is already the admin listener's port");
        if (ports.TryGetValue(port, out var taken) && taken != kind)
            throw new InvalidOperationException($"{ProxyOptions.Section}:{setting} {port} is already the {taken.ToString().ToLowerInvariant()} listener's port");
        ports[port] = kind;
    }

    public static bool ListenerTls(Wire.ProxySnapshot? snapshot, ListenerKind kind, bool defaultTls) =>
        snapshot?.Listeners.FirstOrDefault(l => (int)l.Kind == (int)kind) is { } listener ? listener.Tls : defaultTls;
}
