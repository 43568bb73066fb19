using Meshwork.Proxy.Config;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Consistent hashing on a request header by rendezvous (highest random weight) hashing: a key
/// keeps its endpoint while endpoints come and go, and only keys of a removed endpoint move.
/// Requests without the header are spread at random.
/// </summary>
public sealed class ConsistentHashPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "MeshworkConsistentHash";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
            return null;
        var header = cluster.Model.Config.Metadata?.GetValueOrDefault(YarpConfigBuilder.HashHeaderKey);
        var key = header is null ? null : context.Request.Headers[header].ToString();
        if (string.IsNullOrEmpty(key))
            return availableDestinations[Random.Shared.Next(availableDestinations.Count)];

        DestinationState? best = null;
        ulong bestScore = 0;
        foreach (var destination in availableDestinations)
        {
            var score = Mix(Fnv1a(Fnv1a(14695981039346656037UL, key), destination.DestinationId));
            if (best is null || score > bestScore)
            {
                best = destination;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across processes (unlike string.GetHashCode).</summary>
    private static ulong Fnv1a(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash ^ 0xff;
    }

    /// <summary>A finalizer (splitmix64) so similar inputs give well-spread scores.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
