using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.L4;

/// <summary>Per connection: a backend cluster by weight, then one of its endpoints, healthy ones first, at random.</summary>
public static class TcpBackendPicker
{
    public static string? Cluster(IReadOnlyList<WeightedCluster> backends)
    {
        var total = 0L;
        foreach (var backend in backends)
            total += Math.Max(0, backend.Weight);
        if (total == 0)
            return null;
        var pick = Random.Shared.NextInt64(total);
        foreach (var backend in backends)
        {
            pick -= Math.Max(0, backend.Weight);
            if (pick < 0)
                return backend.Cluster;
        }
        return null;
    }

    /// <summary>Endpoints the registry reports unhealthy are used only when no other is left (Envoy's panic mode, simplified).</summary>
    public static SnapshotEndpoint? Endpoint(SnapshotCluster cluster)
    {
        var healthy = cluster.Endpoints.Where(e => e.Health != InstanceHealth.Unhealthy).ToArray();
        var candidates = healthy.Length > 0 ? healthy : cluster.Endpoints;
        return candidates.Count == 0 ? null : candidates[Random.Shared.Next(candidates.Count)];
    }
}
