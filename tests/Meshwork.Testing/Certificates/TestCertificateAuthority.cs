using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Testing.Certificates;

/// <summary>
/// A throwaway mesh CA for tests: an ECDSA P-256 root that issues SPIFFE X.509-SVIDs (URI SAN
/// spiffe://..., plus localhost/127.0.0.1 so TLS to loopback works), built with
/// System.Security.Cryptography only. Create two to get an "unknown CA".
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa key;

    private TestCertificateAuthority(X509Certificate2 root, ECDsa key)
    {
        Root = root;
        this.key = key;
    }

    public X509Certificate2 Root { get; }
    public string RootPem => Root.ExportCertificatePem();

    public static TestCertificateAuthority Create(string name = "Meshwork Test CA")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Meshwork Tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var root = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));
        return new TestCertificateAuthority(root, key);
    }

    /// <summary>Issues a leaf for the SPIFFE id, valid for client and server authentication.</summary>
    public IssuedCertificate Issue(string spiffeId, TimeSpan? lifetime = null)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + spiffeId.Split('/')[^1], leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(spiffeId));
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build(true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(key), now.AddMinutes(-5), now + (lifetime ?? TimeSpan.FromDays(1)), serial);
        var certificatePem = issued.ExportCertificatePem();
        var keyPem = leafKey.ExportPkcs8PrivateKeyPem();
        return new IssuedCertificate(spiffeId, certificatePem, keyPem, X509Certificate2.CreateFromPem(certificatePem, keyPem));
    }

    /// <summary>A TLS client's server check that trusts this CA's root only (no system roots).</summary>
    public bool Issued(X509Certificate? certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return certificate is X509Certificate2 server && chain.Build(server);
    }

    public void Dispose()
    {
        key.Dispose();
        Root.Dispose();
    }
}

/// <summary>A leaf certificate in PEM (as snapshots carry it) and as a usable X509Certificate2 with its key.</summary>
public sealed record IssuedCertificate(string SpiffeId, string CertificatePem, string PrivateKeyPem, X509Certificate2 Certificate);
