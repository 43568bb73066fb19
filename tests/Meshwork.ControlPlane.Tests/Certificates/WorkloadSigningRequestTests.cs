using Microsoft.Extensions.Time.Testing;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.ControlPlane.Certificates;

namespace Meshwork.ControlPlane.Tests.Certificates;

public sealed class WorkloadSigningRequestTests
{
    [Fact]
    public void Read_P256Request_ReturnsItsPublicKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var publicKey = WorkloadSigningRequest.Read(Csr(key), out var problem);

        Assert.Null(problem);
        Assert.NotNull(publicKey);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), publicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Read_Rsa2048Request_IsAccepted()
    {
        using var key = RSA.Create(2048);
        var csr = new CertificateRequest("CN=rsa", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();

        Assert.NotNull(WorkloadSigningRequest.Read(csr, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void Read_SubjectAlteredAfterSigning_IsRefusedAsNotSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = Tampered(Csr(key, "CN=meshwork-proxy"));

        Assert.Null(WorkloadSigningRequest.Read(csr, out var problem));
        Assert.Contains("not a validly self-signed PKCS#10 request", problem);
    }

    [Fact]
    public void Read_Missing_NamesTheField()
    {
        Assert.Null(WorkloadSigningRequest.Read([], out var problem));
        Assert.Contains("no certificate_signing_request", problem);
    }

    [Fact]
    public void Read_WeakOrUnsupportedKeys_AreRefusedNamingTheRule()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Null(WorkloadSigningRequest.Read(Csr(p384), out var curveProblem));
        Assert.Contains("P-256", curveProblem);

        using var rsa1024 = RSA.Create(1024);
        var weak = new CertificateRequest("CN=weak", rsa1024, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();
        Assert.Null(WorkloadSigningRequest.Read(weak, out var rsaProblem));
        Assert.Contains("at least 2048 bits", rsaProblem);
    }

    [Fact]
    public void For_Renewal_IsIssuedForTheSameProxyKey()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var certificates = new WorkloadCertificates(clock);
        certificates.Use(new CertificateAuthority(RootCertificateFactory.Create("mesh.test", TimeSpan.FromDays(1))));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = WorkloadSigningRequest.Read(Csr(key), out _)!;
        const string spiffeId = "spiffe://mesh.test/ns/default/sa/orders";

        var first = certificates.For("orders-1", spiffeId, TimeSpan.FromHours(24), publicKey);
        Assert.Same(first, certificates.For("orders-1", spiffeId, TimeSpan.FromHours(24), publicKey));
        clock.SetUtcNow(first.RenewAt);
        var renewed = certificates.For("orders-1", spiffeId, TimeSpan.FromHours(24), publicKey);

        Assert.NotEqual(first.CertificatePem, renewed.CertificatePem);
        using var renewedCertificate = X509Certificate2.CreateFromPem(renewed.CertificatePem);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), renewedCertificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void For_ProxyBackWithAnotherKey_GetsACertificateForThatKey()
    {
        var certificates = new WorkloadCertificates(TimeProvider.System);
        certificates.Use(new CertificateAuthority(RootCertificateFactory.Create("mesh.test", TimeSpan.FromDays(1))));
        using var before = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var after = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string spiffeId = "spiffe://mesh.test/ns/default/sa/orders";

        certificates.For("orders-1", spiffeId, TimeSpan.FromHours(24), WorkloadSigningRequest.Read(Csr(before), out _)!);
        var reissued = certificates.For("orders-1", spiffeId, TimeSpan.FromHours(24), WorkloadSigningRequest.Read(Csr(after), out _)!);

        using var certificate = X509Certificate2.CreateFromPem(reissued.CertificatePem);
        Assert.Equal(after.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    private static byte[] Csr(ECDsa key, string subject = "CN=proxy") =>
        new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequest();

    /// <summary>Changes one letter of the signed subject: still well-formed DER, but the signature no longer covers it.</summary>
    public static byte[] Tampered(byte[] csr)
    {
        var tampered = (byte[])csr.Clone();
        var at = tampered.AsSpan().IndexOf(Encoding.ASCII.GetBytes("meshwork-proxy"));
        Assert.True(at > 0, "subject text not found in the CSR");
        tampered[at] = (byte)'M';
        return tampered;
    }

}
