using System.Runtime.CompilerServices;
using Meshwork.Proxy.Runtime;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Envoy outlier detection as a YARP passive health policy: after N consecutive 5xx (or
/// forwarding failures) an endpoint is ejected for base_ejection_time x times-ejected, unless
/// that would exceed max_ejection_percent of the cluster (one ejection is always allowed, as in
/// Envoy). The multiplier resets once the endpoint stays healthy for a whole interval after return.
/// </summary>
public sealed class OutlierDetectionPolicy(MeshRuntime runtime, IDestinationHealthUpdater healthUpdater, ClusterCounterRegistry counters, TimeProvider clock)
    : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "MeshworkOutlierDetection";

    // Weak keys: records go away with destinations that leave the snapshot.
    private readonly ConditionalWeakTable<DestinationState, EndpointRecord> records = [];

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var settings = runtime.Current?.Clusters.GetValueOrDefault(cluster.ClusterId)?.Settings.OutlierDetection;
        if (settings is null)
            return;
        var failed = context.Response.StatusCode >= 500 || context.Features.Get<IForwarderErrorFeature>() is not null;
        var record = records.GetValue(destination, static _ => new EndpointRecord());
        var now = clock.GetUtcNow();
        TimeSpan? ejectFor = null;
        lock (record)
        {
            if (!failed)
            {
                record.Consecutive = 0;
                if (record.Multiplier > 0 && now - record.ReturnsAt > settings.Interval)
                    record.Multiplier = 0;
                return;
            }
            record.Consecutive++;
            if (record.Consecutive < settings.Consecutive5xxErrors || now < record.ReturnsAt)
                return;
            var all = cluster.DestinationsState.AllDestinations;
            var ejected = all.Count(d => d.Health.Passive == DestinationHealth.Unhealthy);
            if (ejected > 0 && (ejected + 1) * 100.0 / all.Count > settings.MaxEjectionPercent)
                return;
            record.Multiplier++;
            record.Consecutive = 0;
            ejectFor = settings.BaseEjectionTime * record.Multiplier;
            record.ReturnsAt = now + ejectFor.Value;
        }
        counters.For(cluster.ClusterId).CountEjection();
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, ejectFor.Value);
    }

    private sealed class EndpointRecord
    {
        public int Consecutive;
        public int Multiplier;
        public DateTimeOffset ReturnsAt;
    }
}
