using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// YARP's load balancing and passive health middleware read the cluster from the request's
/// route model, not from the reassigned cluster, so the mesh reassigns both: one route model per
/// (catch-all route, cluster), cached until the catch-all route model changes.
/// </summary>
public sealed class ClusterRoutes
{
    private readonly ConditionalWeakTable<ClusterState, RouteModel> cache = [];

    public RouteModel For(RouteModel matched, ClusterState cluster)
    {
        if (cache.TryGetValue(cluster, out var cached) && ReferenceEquals(cached.Config, matched.Config) && ReferenceEquals(cached.Transformer, matched.Transformer))
            return cached;
        var route = new RouteModel(matched.Config, cluster, matched.Transformer);
        cache.AddOrUpdate(cluster, route);
        return route;
    }
}
