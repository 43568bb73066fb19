using Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.Routing;

/// <summary>Which listener a local port is; fixed when Kestrel binds at start.</summary>
public sealed class ListenerMap(IReadOnlyDictionary<int, ListenerKind> ports, int adminPort)
{
    public int AdminPort { get; } = adminPort;
    public IReadOnlyDictionary<int, ListenerKind> Ports { get; } = ports;

    public ListenerKind? KindOf(int localPort) => Ports.TryGetValue(localPort, out var kind) ? kind : null;
}
