using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Snapshots;
using Meshwork.Model.Tests.Properties;

namespace Meshwork.Model.Tests.Serialization;

/// <summary>
/// The snapshot hash is computed from source-generated metadata (the native proxy has no reflection
/// metadata) and must stay the text the reflection-based MeshworkJson writes: otherwise proxies and
/// control planes of different builds would reject each other's snapshots.
/// </summary>
public sealed class SnapshotJsonTests
{
    [Fact]
    public void SnapshotJson_WritesTheSameTextAsMeshworkJson_ForSnapshotsHoldingEveryResourceShape()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var snapshot = SnapshotOf(Enumerable.Range(seed * 8, 8).Select(RandomResources.Sane).ToList());
            Assert.Equal(JsonSerializer.Serialize(snapshot, MeshworkJson.Options), JsonSerializer.Serialize(snapshot, SnapshotJson.ProxySnapshot));
        }
    }

    /// <summary>Puts the resources' parts where a compiled snapshot carries them (rules, client settings, inbound policies).</summary>
    private static ProxySnapshot SnapshotOf(IReadOnlyList<Resource> resources) => new()
    {
        Version = 3,
        Hash = "abc",
        Identity = new SnapshotIdentity { ProxyId = "p", Service = "web", SpiffeId = "spiffe://cluster.local/ns/default/sa/web" },
        Listeners = [new SnapshotListener { Name = "in", Kind = ListenerKind.Inbound, Port = 15006, Tls = true }],
        VirtualHosts = resources.OfType<HttpRoute>().Select(route => new VirtualHost
        {
            Name = route.Metadata.Name,
            Listener = ListenerKind.Gateway,
            Domains = route.Hostnames,
            Rules = route.Rules.Select(rule => new CompiledRule
            {
                RouteName = rule.Name ?? "rule",
                Matches = rule.Matches,
                Filters = rule.Filters,
                Backends = rule.BackendRefs.Select(b => new WeightedCluster { Cluster = b.Service, Weight = b.Weight }).ToList(),
                Mirrors = [new MirrorTarget { Cluster = "m", Percent = 12.5 }],
                RequestTimeout = rule.Timeouts?.Request,
                Fault = rule.Fault,
            }).ToList(),
        }).ToList(),
        Clusters = resources.OfType<ResiliencePolicy>().Select(policy => new SnapshotCluster
        {
            Name = policy.Service,
            Endpoints = [new SnapshotEndpoint { InstanceId = "i", Address = "127.0.0.1:1", Health = InstanceHealth.Healthy }],
            Settings = new ClientSettings
            {
                Retries = policy.Retries,
                ConnectionPool = policy.ConnectionPool,
                OutlierDetection = policy.OutlierDetection,
                HealthCheck = policy.HealthCheck,
                LoadBalancer = policy.LoadBalancer,
            },
        }).ToList(),
        Inbound = new InboundSettings
        {
            AppCluster = "local-app",
            DefaultMode = AccessMode.DefaultDeny,
            Policies = resources.OfType<AccessPolicy>().ToList(),
            RateLimit = resources.OfType<ResiliencePolicy>().Select(p => p.RateLimit).FirstOrDefault(r => r is not null),
        },
        Certificates = new SnapshotCertificates { CertificateChainPem = "c", PrivateKeyPem = "k", TrustBundlePem = "t" },
    };
}
