using Meshwork.Model.Snapshots;
using Meshwork.Testing.Certificates;

namespace Meshwork.Proxy.Tests.Infrastructure;

/// <summary>A snapshot's certificates for a service of the default namespace: a leaf with its SPIFFE id and key from the test CA, which is also the trust bundle.</summary>
public static class MeshCertificates
{
    public static SnapshotCertificates For(TestCertificateAuthority ca, string service)
    {
        var issued = ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service));
        return new SnapshotCertificates { CertificateChainPem = issued.CertificatePem, PrivateKeyPem = issued.PrivateKeyPem, TrustBundlePem = ca.RootPem };
    }
}
