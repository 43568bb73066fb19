using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.Runtime;

/// <summary>
/// A validated snapshot in the form the request path uses: host tables, compiled rules, parsed
/// certificates, the inbound rate limiter. Immutable once published; replaced whole on a swap.
/// </summary>
public sealed class RuntimeSnapshot
{
    public required ProxySnapshot Model { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset AppliedAt { get; init; }
    public required HostTable Outbound { get; init; }
    public required HostTable Gateway { get; init; }
    public required IReadOnlyDictionary<string, SnapshotCluster> Clusters { get; init; }

    /// <summary>Endpoint address -> endpoint, per cluster, for telemetry labels (the version behind an all-versions cluster).</summary>
    public required IReadOnlyDictionary<string, string> EndpointVersions { get; init; }

    public X509Certificate2? Certificate { get; init; }
    public X509Certificate2Collection Intermediates { get; init; } = [];
    public X509Certificate2Collection TrustBundle { get; init; } = [];

    public IReadOnlyList<AccessPolicy> Policies => Model.Inbound.Policies;
    public AccessMode DefaultMode => Model.Inbound.DefaultMode;
    public TokenBucketRateLimiter? RateLimiter { get; init; }
    public LocalRateLimit? RateLimit => Model.Inbound.RateLimit;

    public long Version => Model.Version;
    public string Hash => Model.Hash;
}
