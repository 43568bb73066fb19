using System.Net;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.L4;
using Meshwork.Proxy.Runtime;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// Which TcpRoute, if any, an intercepted non-HTTP connection was meant for. The mesh has no service addresses
/// (VIPs) of its own, so it goes by what it knows: the original destination's port is a TcpRoute's port in the
/// serving snapshot, and its address is one the mesh knows for that route: this sidecar's own
/// Proxy:TcpBindAddress (where the route's listener is), or the address of an endpoint of one of the route's
/// backends. That is how Istio matches a TCP service without a VIP (a listener per endpoint address and port,
/// as for headless services), not Istio's port-only wildcard, which would take any server on the internet that
/// happens to use the same port. A connection to an address the mesh does not know (a Kubernetes ClusterIP,
/// an external server) passes through to it unchanged.
/// </summary>
public static class InterceptedTcpRoute
{
    public static TcpRouteListener? Find(RuntimeSnapshot current, IPEndPoint destination, IPAddress tcpBindAddress)
    {
        var listener = current.Model.TcpListeners.FirstOrDefault(l => l.Port == destination.Port);
        if (listener is null)
            return null;
        if (destination.Address.Equals(tcpBindAddress))
            return listener;
        foreach (var backend in listener.Backends)
        {
            if (!current.Clusters.TryGetValue(backend.Cluster, out var cluster))
                continue;
            foreach (var endpoint in cluster.Endpoints)
            {
                if (IPAddress.TryParse(TcpOutboundRelay.HostPort(endpoint.Address).Host, out var address) && address.Equals(destination.Address))
                    return listener;
            }
        }
        return null;
    }
}
