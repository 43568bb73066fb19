using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Telemetry;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Http1;

/// <summary>Where a lean request goes: the endpoint, its stats key (status class left blank) and cluster counters, for one destination model.</summary>
internal sealed record LeanTarget(DnsEndPoint Endpoint, TrafficKey Key, ClusterCounters Counters, DestinationModel Destination);

/// <summary>
/// The outbound routing decision of <see cref="MeshMiddleware"/> for a lean request, made with the
/// same parts (the serving <see cref="RuntimeSnapshot"/>'s host table, <see cref="RuntimeVirtualHost.Match"/>
/// over a request built from the head, <see cref="RuntimeRule.PickCluster"/>, YARP's live cluster state),
/// or null when the route needs something the lean path does not do, so that Kestrel and YARP serve it:
/// fault injection, redirects, header or URL filters, mirrors, timeouts, gRPC; a backend cluster with
/// mTLS, retries, connection-pool limits, outlier detection or active health checks; or more than one
/// available endpoint (YARP's load-balancing policies choose among destinations inside its own
/// pipeline, with their in-flight counts, so the lean path takes only a single endpoint and leaves a
/// real choice to YARP). Every backend of the rule is checked before the weighted pick: a pick is never
/// followed by a fallback, which would let YARP pick again and skew the split.
/// </summary>
public sealed class LeanRouter(MeshRuntime runtime, IProxyStateLookup lookup, ClusterCounterRegistry counters)
{
    private readonly ConcurrentDictionary<string, DnsEndPoint> endpoints = new(StringComparer.Ordinal);

    /// <summary>
    /// Each rule's targets by cluster, kept with the rule (so they go with its snapshot): requests to the same destination
    /// share one, instead of building its stats key and looking up its endpoint and counters each time. YARP replaces a
    /// destination's model when its config changes, so a target is reused only for the model it was made from.
    /// </summary>
    private readonly ConditionalWeakTable<RuntimeRule, ConcurrentDictionary<string, LeanTarget>> targets = new();

    /// <param name="scratch">The connection's context, refilled with this request for the matchers.</param>
    internal LeanTarget? Route(LeanRequestHead head, DefaultHttpContext scratch)
    {
        if (runtime.Current is not { } snapshot)
            return null;
        var request = scratch.Request;
        request.Headers.Clear();
        request.Method = head.Method;
        request.Scheme = "http";
        request.Path = new PathString(head.Path);
        request.QueryString = new QueryString(head.Query);
        foreach (var (name, value) in head.Headers)
            request.Headers[name] = value;
        if (GrpcProtocol.IsGrpc(request))
            return null;

        var rule = snapshot.Outbound.Find(request.Host.Host)?.Match(request, out _);
        if (rule is null || !IsPlain(rule))
            return null;
        foreach (var backend in rule.Model.Backends)
        {
            if (backend.Weight > 0 && Destination(snapshot, backend.Cluster) is null)
                return null;
        }
        var clusterName = rule.PickCluster();
        if (clusterName is null || Destination(snapshot, clusterName) is not { } destination)
            return null;
        var byCluster = targets.GetValue(rule, static _ => new ConcurrentDictionary<string, LeanTarget>(StringComparer.Ordinal));
        var model = destination.Model;
        if (byCluster.TryGetValue(clusterName, out var known) && ReferenceEquals(known.Destination, model))
            return known;
        var target = Target(snapshot, rule, clusterName, model);
        byCluster[clusterName] = target;
        return target;
    }

    private LeanTarget Target(RuntimeSnapshot snapshot, RuntimeRule rule, string clusterName, DestinationModel destination)
    {
        var cluster = snapshot.Clusters[clusterName];
        var identity = snapshot.Model.Identity;
        var version = cluster.Version.Length > 0 ? cluster.Version : destination.Config.Metadata?.GetValueOrDefault(YarpConfigBuilder.VersionKey) ?? "";
        var key = new TrafficKey(Direction.Outbound, identity.Service, identity.Namespace, identity.Version,
            cluster.Service, cluster.Namespace, version, rule.Model.RouteName, StatusClass: "");
        return new LeanTarget(Endpoint(destination.Config.Address), key, counters.For(clusterName), destination);
    }

    private static bool IsPlain(RuntimeRule rule) =>
        rule.Model.Fault is null && rule.Redirect is null && rule.RequestHeaders is null && rule.ResponseHeaders is null && rule.Rewrite is null &&
        rule.Model.Mirrors.Count == 0 && rule.Model.RequestTimeout is null && rule.Model.BackendRequestTimeout is null;

    /// <summary>The cluster's one available destination, when the lean path may send to it.</summary>
    private DestinationState? Destination(RuntimeSnapshot snapshot, string clusterName)
    {
        if (!snapshot.Clusters.TryGetValue(clusterName, out var cluster) || cluster.MeshTls)
            return null;
        var settings = cluster.Settings;
        if (settings.Retries is not null || settings.ConnectionPool is not null || settings.OutlierDetection is not null || settings.HealthCheck is not null)
            return null;
        if (!lookup.TryGetCluster(clusterName, out var state))
            return null;
        var available = state.DestinationsState.AvailableDestinations;
        return available.Count == 1 && available[0].Model.Config.Address.StartsWith("http://", StringComparison.Ordinal) ? available[0] : null;
    }

    /// <summary>"http://host:port/", as <see cref="YarpConfigBuilder"/> writes destinations.</summary>
    private DnsEndPoint Endpoint(string address) =>
        endpoints.GetOrAdd(address, static a => new Uri(a) is var uri ? new DnsEndPoint(uri.DnsSafeHost, uri.Port) : null!);
}
