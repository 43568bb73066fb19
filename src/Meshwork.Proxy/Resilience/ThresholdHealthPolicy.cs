using System.Runtime.CompilerServices;
using Meshwork.Proxy.Runtime;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Envoy's active health checking thresholds as a YARP active health policy: an endpoint is marked
/// unhealthy after unhealthyThreshold consecutive failed probes and healthy again only after
/// healthyThreshold consecutive passes (YARP's ConsecutiveFailures policy restores on one pass). As in
/// Envoy, an endpoint not yet checked (unknown) needs a single pass.
/// </summary>
public sealed class ThresholdHealthPolicy(MeshRuntime runtime, IDestinationHealthUpdater healthUpdater) : IActiveHealthCheckPolicy
{
    public const string PolicyName = "MeshworkThresholds";

    // Weak keys: records go away with destinations that leave the snapshot.
    private readonly ConditionalWeakTable<DestinationState, Streak> streaks = [];

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        if (probingResults.Count == 0)
            return;
        var check = runtime.Current?.Clusters.GetValueOrDefault(cluster.ClusterId)?.Settings.HealthCheck;
        var unhealthyThreshold = Math.Max(1, check?.UnhealthyThreshold ?? 1);
        var healthyThreshold = Math.Max(1, check?.HealthyThreshold ?? 1);
        var results = new NewActiveDestinationHealth[probingResults.Count];
        for (var i = 0; i < probingResults.Count; i++)
        {
            var destination = probingResults[i].Destination;
            var passed = probingResults[i].Response is { IsSuccessStatusCode: true };
            var streak = streaks.GetValue(destination, static _ => new Streak());
            var previous = destination.Health.Active;
            DestinationHealth next;
            lock (streak)
            {
                streak.Passes = passed ? streak.Passes + 1 : 0;
                streak.Failures = passed ? 0 : streak.Failures + 1;
                next = passed
                    ? previous == DestinationHealth.Unhealthy && streak.Passes < healthyThreshold ? DestinationHealth.Unhealthy : DestinationHealth.Healthy
                    : streak.Failures >= unhealthyThreshold ? DestinationHealth.Unhealthy : previous;
            }
            results[i] = new NewActiveDestinationHealth(destination, next);
        }
        healthUpdater.SetActive(cluster, results);
    }

    private sealed class Streak
    {
        public int Passes;
        public int Failures;
    }
}
