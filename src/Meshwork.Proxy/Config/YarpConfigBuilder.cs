using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Resilience;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Meshwork.Proxy.Config;

/// <summary>
/// Snapshot -> YARP config. One catch-all route (the mesh middleware matches rules itself and
/// reassigns the cluster, because HttpRoute needs regexes, weights and precedence YARP routes
/// lack); one YARP cluster per snapshot cluster. HttpClientConfig depends only on the client
/// settings, so an unchanged cluster keeps its HttpMessageInvoker and pooled connections.
/// </summary>
public static class YarpConfigBuilder
{
    public const string RouteId = "mesh";

    /// <summary>The catch-all route's placeholder cluster: no destinations, every request is reassigned away from it.</summary>
    public const string UnroutedCluster = "mesh-unrouted";

    public const string HashHeaderKey = "meshwork.hashHeader";
    public const string ConnectTimeoutKey = "meshwork.connectTimeout";
    public const string IdleTimeoutKey = "meshwork.idleTimeout";
    public const string MaxRequestsPerConnectionKey = "meshwork.maxRequestsPerConnection";
    public const string VersionKey = "meshwork.version";

    /// <summary>
    /// The SPIFFE id a mesh cluster's endpoints must present in the TLS handshake
    /// (spiffe://TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE): the service the cluster is for, as Istio's
    /// subjectAltNames check. Only mesh (https) clusters carry it.
    /// </summary>
    public const string UpstreamSpiffeIdKey = "meshwork.upstreamSpiffeId";

    public static IReadOnlyList<RouteConfig> Routes { get; } =
    [
        new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = UnroutedCluster,
            Match = new RouteMatch { Path = "/{**catch-all}" },
            // Sidecar hops do not add X-Forwarded-* (as Envoy sidecars); the gateway sets them itself (MeshMiddleware).
            Transforms = [new Dictionary<string, string> { ["X-Forwarded"] = "Off" }],
        },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(ProxySnapshot snapshot)
    {
        var list = new List<ClusterConfig> { new() { ClusterId = UnroutedCluster } };
        list.AddRange(snapshot.Clusters.Select(c => Cluster(c, snapshot.Identity.TrustDomain)));
        return list;
    }

    /// <param name="trustDomain">The mesh's trust domain (the snapshot identity's): mesh clusters expect their peers' SPIFFE ids in it.</param>
    public static ClusterConfig Cluster(SnapshotCluster cluster, string trustDomain)
    {
        var settings = cluster.Settings;
        var scheme = cluster.MeshTls ? "https" : "http";
        // Registry-unhealthy endpoints are left out unless that would leave none (Envoy's panic mode).
        var endpoints = cluster.Endpoints.Where(e => e.Health != InstanceHealth.Unhealthy).ToArray();
        if (endpoints.Length == 0)
            endpoints = cluster.Endpoints.ToArray();

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (settings.LoadBalancer.HashHeader is { } hashHeader)
            metadata[HashHeaderKey] = hashHeader;
        if (settings.ConnectionPool is { } pool)
        {
            metadata[ConnectTimeoutKey] = pool.ConnectTimeout.Ticks.ToString(CultureInfo.InvariantCulture);
            metadata[IdleTimeoutKey] = pool.IdleTimeout.Ticks.ToString(CultureInfo.InvariantCulture);
            metadata[MaxRequestsPerConnectionKey] = pool.MaxRequestsPerConnection.ToString(CultureInfo.InvariantCulture);
        }
        if (cluster.MeshTls)
            metadata[UpstreamSpiffeIdKey] = SnapshotCompiler.SpiffeId(trustDomain, cluster.Namespace, cluster.Service);

        return new ClusterConfig
        {
            ClusterId = cluster.Name,
            LoadBalancingPolicy = settings.LoadBalancer.Policy switch
            {
                LoadBalancingPolicy.RoundRobin => LoadBalancingPolicies.RoundRobin,
                LoadBalancingPolicy.Random => LoadBalancingPolicies.Random,
                LoadBalancingPolicy.ConsistentHash => ConsistentHashPolicy.PolicyName,
                _ => LoadBalancingPolicies.PowerOfTwoChoices, // least-request, P2C as in Envoy
            },
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
                Passive = settings.OutlierDetection is { } outlier
                    ? new PassiveHealthCheckConfig { Enabled = true, Policy = OutlierDetectionPolicy.PolicyName, ReactivationPeriod = outlier.BaseEjectionTime }
                    : null,
                Active = settings.HealthCheck is { } active
                    ? new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Interval = active.Interval,
                        Timeout = active.Timeout,
                        Path = active.Path,
                        Policy = ThresholdHealthPolicy.PolicyName,
                    }
                    : null,
            },
            HttpClient = new HttpClientConfig
            {
                MaxConnectionsPerServer = settings.ConnectionPool?.MaxConnections,
                EnableMultipleHttp2Connections = true,
            },
            Metadata = metadata,
            Destinations = endpoints.ToDictionary(
                e => e.InstanceId,
                e => new DestinationConfig
                {
                    Address = $"{scheme}://{e.Address}/",
                    Metadata = new Dictionary<string, string> { [VersionKey] = e.Version },
                },
                StringComparer.Ordinal),
        };
    }
}
