using Meshwork.Model.Resources;

namespace Meshwork.Model.Snapshots;

/// <summary>
/// What <see cref="SnapshotCompiler.Prepare"/> compiled once for every proxy of a round: the mesh settings,
/// ordered Services, routes and resilience policies, every Service's clusters and outbound virtual hosts, every TcpRoute's listener.
/// Immutable and shared by the proxies compiled on top of it (each copies the collections it extends).
/// </summary>
public sealed class MeshCompilation
{
    internal MeshCompilation(MeshSettings mesh, IReadOnlyList<Service> services,
        IReadOnlyDictionary<(string Service, string Namespace), ResiliencePolicy> resilience, IReadOnlyList<HttpRoute> routes,
        SortedDictionary<string, SnapshotCluster> clusters, IReadOnlyList<VirtualHost> outboundHosts,
        IReadOnlyList<TcpRouteListener> tcpListeners, bool meshTls)
    {
        Mesh = mesh;
        Services = services;
        Resilience = resilience;
        Routes = routes;
        Clusters = clusters;
        OutboundHosts = outboundHosts;
        TcpListeners = tcpListeners;
        MeshTls = meshTls;
    }

    internal MeshSettings Mesh { get; }
    internal IReadOnlyList<Service> Services { get; }
    internal IReadOnlyDictionary<(string Service, string Namespace), ResiliencePolicy> Resilience { get; }
    internal IReadOnlyList<HttpRoute> Routes { get; }

    /// <summary>Never changed after preparing: proxies copy it before adding their own clusters.</summary>
    internal SortedDictionary<string, SnapshotCluster> Clusters { get; }

    internal IReadOnlyList<VirtualHost> OutboundHosts { get; }
    internal IReadOnlyList<TcpRouteListener> TcpListeners { get; }
    internal bool MeshTls { get; }
}
