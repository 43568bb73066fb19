using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Certificates;

namespace Meshwork.ControlPlane.Tests.Certificates;

public sealed class WorkloadCertificatesTests
{
    private const string SpiffeId = "spiffe://mesh.test/ns/shop/sa/orders";

    [Fact]
    public void Adopt_CertificateAnotherReplicaIssued_IsKept_SoTheProxyIsCompiledTheSnapshotItServes()
    {
        // Two replicas load the one stored root, each into its own authority.
        using var root = RootCertificateFactory.Create("mesh.test", TimeSpan.FromDays(1));
        var issuing = new WorkloadCertificates(TimeProvider.System);
        issuing.Use(new CertificateAuthority(Reload(root)));
        var adopting = new WorkloadCertificates(TimeProvider.System);
        adopting.Use(new CertificateAuthority(Reload(root)));
        using var proxyKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = new CertificateRequest("CN=ignored", proxyKey, HashAlgorithmName.SHA256).PublicKey;
        var issued = issuing.For("orders-1", SpiffeId, TimeSpan.FromHours(1), publicKey);

        adopting.Adopt(issued.ToRow("orders-1"));

        Assert.True(adopting.Has("orders-1"));
        Assert.Equal(issued.CertificatePem, adopting.For("orders-1", SpiffeId, TimeSpan.FromHours(1), publicKey).CertificatePem);
    }

    [Fact]
    public void Adopt_CertificateOfAnotherRoot_IsIgnored()
    {
        var adopting = new WorkloadCertificates(TimeProvider.System);
        adopting.Use(new CertificateAuthority(RootCertificateFactory.Create("mesh.test", TimeSpan.FromDays(1))));
        using var otherRoot = new CertificateAuthority(RootCertificateFactory.Create("mesh.test", TimeSpan.FromDays(1)));
        using var proxyKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = new CertificateRequest("CN=ignored", proxyKey, HashAlgorithmName.SHA256).PublicKey;

        adopting.Adopt(otherRoot.Issue(SpiffeId, null, TimeSpan.FromHours(1), publicKey).ToRow("orders-1"));

        Assert.False(adopting.Has("orders-1"));
    }

    private static X509Certificate2 Reload(X509Certificate2 root) =>
        X509CertificateLoader.LoadPkcs12(root.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
}
