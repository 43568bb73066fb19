using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;

namespace Meshwork.Proxy.Tests.Config;

/// <summary>In-process: the proto mapping is lossless, so the hash the compiler computed survives the wire and the file.</summary>
public sealed class SnapshotMapperTests
{
    private static Meshwork.Model.Snapshots.ProxySnapshot Sample()
    {
        using var ca = TestCertificateAuthority.Create();
        var leaf = ca.Issue("spiffe://cluster.local/ns/default/sa/web");
        // The proxy's own service's policy (the fixture's, with a connection pool added) gives its inbound relay the TCP idle timeout.
        var resources = MeshFixture.MeshResources().Select(r => r is ResiliencePolicy { Service: "secure" } own
            ? own with { ConnectionPool = new ConnectionPoolSettings { TcpIdleTimeout = TimeSpan.FromSeconds(9) } }
            : r).Append(new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "reviews" },
            Service = "reviews",
            Retries = new RetryPolicy { Attempts = 3, PerTryTimeout = TimeSpan.FromMilliseconds(250) },
            HealthCheck = new ActiveHealthCheck(),
            ConnectionPool = new ConnectionPoolSettings { TcpIdleTimeout = TimeSpan.FromSeconds(7) },
            LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = "x-user" },
        }).Append(new MeshSettings
        {
            Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName },
            PathNormalization = PathNormalization.DecodeAndMergeSlashes,
        }).ToArray();
        return SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = [new Instance { Id = "r1", Service = "reviews", Version = "v1", Address = "10.0.0.1:15006", ProxyId = "p1", Health = InstanceHealth.Healthy }],
            Proxy = new ProxyIdentity { ProxyId = "web-1", Service = "secure", Version = "v1", OutboundPort = 15001, InboundPort = 15006 },
            Certificates = new SnapshotCertificates { CertificateChainPem = leaf.CertificatePem, PrivateKeyPem = leaf.PrivateKeyPem, TrustBundlePem = ca.RootPem },
            Version = 42,
        });
    }

    [Fact]
    public void ToProtoToModel_CompiledSnapshot_KeepsTheHash()
    {
        var snapshot = Sample();
        var roundTripped = SnapshotMapper.ToModel(SnapshotMapper.ToProto(snapshot));
        Assert.Equal(snapshot.Hash, SnapshotHash.Compute(roundTripped));
        Assert.True(SnapshotHash.Verify(roundTripped));
        Assert.Equal(42, roundTripped.Version);
        Assert.Equal(PathNormalization.DecodeAndMergeSlashes, roundTripped.PathNormalization);
        Assert.Equal(TimeSpan.FromSeconds(7), roundTripped.Clusters.First(c => c.Service == "reviews").Settings.ConnectionPool?.TcpIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), roundTripped.Inbound.TcpIdleTimeout);
    }

    [Fact]
    public void JsonFileForm_RoundTrips_ToTheSameHash()
    {
        var snapshot = Sample();
        var json = SnapshotMapper.ToJson(snapshot);
        Assert.Contains("\"virtualHosts\"", json);
        Assert.Equal(snapshot.Hash, SnapshotHash.Compute(SnapshotMapper.ToModel(SnapshotMapper.FromJson(json))));
    }

    [Fact]
    public void ToModel_UnknownEnumText_ThrowsNamingTheField()
    {
        var proto = SnapshotMapper.ToProto(Sample());
        proto.Inbound.DefaultMode = "Sometimes";
        var error = Assert.Throws<SnapshotFormatException>(() => SnapshotMapper.ToModel(proto));
        Assert.StartsWith("inbound.defaultMode: 'Sometimes' is not one of", error.Message);
    }
}
