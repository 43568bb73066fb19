using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Snapshots;
using Meshwork.Testing.Certificates;

namespace ProxyBench;

/// <summary>
/// The benchmark topology's snapshots: proxy "client" (outbound) reaches service "backend"
/// directly over plain HTTP (one hop) and service "backend-mtls" through proxy "server" (two
/// hops, mTLS between the proxies, certificates from a throwaway CA).
/// </summary>
internal static class BenchSnapshots
{
    public static int Write(Options options)
    {
        var dir = options.Get("dir");
        var backend = options.Get("backend");
        var outbound = options.Int("outbound", 18101);
        var inbound = options.Int("inbound", 18106);
        Directory.CreateDirectory(dir);

        using var ca = TestCertificateAuthority.Create("Meshwork Bench CA");
        IReadOnlyList<Resource> resources =
        [
            new Service { Metadata = new ResourceMetadata { Name = "backend" }, Versions = [new ServiceVersion { Name = "v1" }] },
            new Service { Metadata = new ResourceMetadata { Name = "backend-mtls" }, Versions = [new ServiceVersion { Name = "v1" }] },
        ];
        IReadOnlyList<Instance> instances =
        [
            new() { Id = "backend-1", Service = "backend", Version = "v1", Address = backend, ProxyId = "none", Health = InstanceHealth.Healthy },
            new() { Id = "backend-mtls-1", Service = "backend-mtls", Version = "v1", Address = $"127.0.0.1:{inbound}", ProxyId = "server", Health = InstanceHealth.Healthy },
        ];

        var client = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = instances,
            Proxy = new ProxyIdentity { ProxyId = "client", Service = "client", Version = "v1", OutboundPort = outbound },
            Certificates = Certs(ca, "client"),
            Version = 1,
        });
        client = SnapshotHash.WithHash(client with { Clusters = client.Clusters.Select(c => c with { MeshTls = c.Service == "backend-mtls" }).ToArray() });

        var server = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = instances,
            Proxy = new ProxyIdentity { ProxyId = "server", Service = "backend-mtls", Version = "v1", InboundPort = inbound, AppAddress = backend },
            Certificates = Certs(ca, "backend-mtls"),
            Version = 1,
        });

        File.WriteAllText(Path.Combine(dir, "client.json"), SnapshotMapper.ToJson(client));
        File.WriteAllText(Path.Combine(dir, "server.json"), SnapshotMapper.ToJson(server));
        return 0;
    }

    internal static SnapshotCertificates Certs(TestCertificateAuthority ca, string service)
    {
        var leaf = ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service));
        return new SnapshotCertificates { CertificateChainPem = leaf.CertificatePem, PrivateKeyPem = leaf.PrivateKeyPem, TrustBundlePem = ca.RootPem };
    }
}
