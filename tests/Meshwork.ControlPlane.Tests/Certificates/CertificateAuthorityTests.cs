using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.ControlPlane.Certificates;

namespace Meshwork.ControlPlane.Tests.Certificates;

public sealed class CertificateAuthorityTests
{
    [Fact]
    public void Issue_Workload_CarriesSpiffeUriOnlyInACriticalSanAndChainsToRoot()
    {
        using var ca = new CertificateAuthority(RootCertificateFactory.Create("mesh.test", TimeSpan.FromDays(1)));

        using var proxyKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = new CertificateRequest("CN=ignored", proxyKey, HashAlgorithmName.SHA256).PublicKey;

        var issued = ca.Issue("spiffe://mesh.test/ns/shop/sa/orders", commonName: null, TimeSpan.FromHours(24), publicKey);

        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal(proxyKey.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        using var leaf = certificate.CopyWithPrivateKey(proxyKey);
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("spiffe://mesh.test/ns/shop/sa/orders", Encoding.ASCII.GetString(san.RawData));
        // The identity is the URI SAN alone: no subject a TLS stack could mistake for a name.
        Assert.Equal("", leaf.Subject);
        Assert.True(san.Critical);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(ca.TrustBundlePem));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.InRange(issued.NotAfter - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));
        Assert.InRange(issued.RenewAt - DateTimeOffset.UtcNow, TimeSpan.FromHours(15.9), TimeSpan.FromHours(16));
    }

    [Fact]
    public void Unprotect_WrongKey_Throws()
    {
        var protector = new CaKeyProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var other = new CaKeyProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var secret = Encoding.UTF8.GetBytes("-----BEGIN PRIVATE KEY-----");

        var sealedKey = protector.Protect(secret);

        Assert.Equal(secret, protector.Unprotect(sealedKey));
        Assert.False(sealedKey.AsSpan().IndexOf(secret) >= 0);
        Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(sealedKey));
    }

    [Fact]
    public void Constructor_KeyOfWrongLength_ExplainsTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new CaKeyProtector(Convert.ToBase64String(new byte[16])));

        Assert.Equal("ControlPlane:CaKeyEncryptionKey must decode to 32 bytes, not 16.", error.Message);
    }
}
