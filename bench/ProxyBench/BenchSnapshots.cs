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
        WriteClientAndServer(
            options.Get("dir"), filePrefix: "", appAddress: options.Get("backend"), plainService: "backend", mtlsService: "backend-mtls",
            options.Int("outbound", 18101), options.Int("inbound", 18106), extraResources: []);
        return 0;
    }

    /// <summary>
    /// Writes {prefix}client.json and {prefix}server.json: sidecar "client" (outbound port) reaches
    /// <paramref name="plainService"/> at the app directly and <paramref name="mtlsService"/> through sidecar "server"
    /// (inbound port, mTLS between the two), whose inbound listener forwards to the same app.
    /// </summary>
    internal static void WriteClientAndServer(
        string dir, string filePrefix, string appAddress, string plainService, string mtlsService,
        int outboundPort, int inboundPort, IEnumerable<Resource> extraResources)
    {
        Directory.CreateDirectory(dir);
        using var ca = TestCertificateAuthority.Create("Meshwork Bench CA");
        IReadOnlyList<Resource> resources =
        [
            new Service { Metadata = new ResourceMetadata { Name = plainService }, Versions = [new ServiceVersion { Name = "v1" }] },
            new Service { Metadata = new ResourceMetadata { Name = mtlsService }, Versions = [new ServiceVersion { Name = "v1" }] },
            .. extraResources,
        ];
        IReadOnlyList<Instance> instances =
        [
            new() { Id = $"{plainService}-1", Service = plainService, Version = "v1", Address = appAddress, ProxyId = "none", Health = InstanceHealth.Healthy },
            new() { Id = $"{mtlsService}-1", Service = mtlsService, Version = "v1", Address = $"127.0.0.1:{inboundPort}", ProxyId = "server", Health = InstanceHealth.Healthy },
        ];

        var client = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = instances,
            Proxy = new ProxyIdentity { ProxyId = "client", Service = "client", Version = "v1", OutboundPort = outboundPort },
            Certificates = Certs(ca, "client"),
            Version = 1,
        });
        // The bench has no control plane to decide that the peer is meshed: mark the mTLS hop explicitly.
        client = SnapshotHash.WithHash(client with { Clusters = client.Clusters.Select(c => c with { MeshTls = c.Service == mtlsService }).ToArray() });

        var server = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = instances,
            Proxy = new ProxyIdentity { ProxyId = "server", Service = mtlsService, Version = "v1", InboundPort = inboundPort, AppAddress = appAddress },
            Certificates = Certs(ca, mtlsService),
            Version = 1,
        });

        File.WriteAllText(Path.Combine(dir, $"{filePrefix}client.json"), SnapshotMapper.ToJson(client));
        File.WriteAllText(Path.Combine(dir, $"{filePrefix}server.json"), SnapshotMapper.ToJson(server));
    }

    internal static SnapshotCertificates Certs(TestCertificateAuthority ca, string service)
    {
        var leaf = ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service));
        return new SnapshotCertificates { CertificateChainPem = leaf.CertificatePem, PrivateKeyPem = leaf.PrivateKeyPem, TrustBundlePem = ca.RootPem };
    }
}
