using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Signs short-lived workload certificates with the mesh root, each for the public key of the proxy's
/// CSR (the proxy keeps the private key), with a SPIFFE URI SAN and both server and client auth
/// (every proxy is both ends of mTLS).
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private readonly X509Certificate2 root;
    private readonly ECDsa rootKey;

    public CertificateAuthority(X509Certificate2 root)
    {
        this.root = root;
        rootKey = root.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The CA certificate has no ECDSA private key.");
        TrustBundlePem = root.ExportCertificatePem();
    }

    public X509Certificate2 Root => root;

    /// <summary>PEM of the root(s) proxies trust; delivered in every snapshot.</summary>
    public string TrustBundlePem { get; }

    /// <param name="commonName">
    /// A fixed subject CN for the control plane's own certificate; null for workloads, whose subject
    /// is empty so the identity lives only in the URI SAN (SPIFFE X.509-SVID) and nothing a proxy
    /// named ends up in a field that other software might read as an identity.
    /// </param>
    /// <param name="hostNames">DNS names and IP literals added as SANs (the control plane's own server certificate); workloads have none.</param>
    public IssuedCertificate Issue(string spiffeId, string? commonName, TimeSpan ttl, PublicKey subjectKey, IEnumerable<string>? hostNames = null)
    {
        var subject = commonName is null ? new X500DistinguishedName([0x30, 0x00]) : new X500DistinguishedName($"CN={commonName}");
        var request = new CertificateRequest(subject, subjectKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(spiffeId));
        foreach (var name in hostNames ?? [])
        {
            if (System.Net.IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        }
        // RFC 5280 4.2.1.6: with an empty subject the SAN extension is critical.
        request.CertificateExtensions.Add(san.Build(critical: commonName is null));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        // EC keys may do (EC)DH key agreement, RSA keys key encipherment (TLS 1.2 RSA key exchange).
        using var rsa = subjectKey.GetRSAPublicKey();
        var keyUsage = rsa is not null
            ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment
            : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement;
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));

        // Backdate a little for clock skew between machines; never outlive the root.
        var issuedAt = DateTimeOffset.UtcNow;
        var notBefore = issuedAt.AddMinutes(-1);
        var notAfter = issuedAt.Add(ttl);
        if (notAfter > root.NotAfter) notAfter = root.NotAfter;
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var certificate = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), notBefore, notAfter, serial);
        return new IssuedCertificate(spiffeId, certificate.ExportCertificatePem(), subjectKey.ExportSubjectPublicKeyInfo(),
            notBefore, notAfter, issuedAt);
    }

    /// <summary>Whether the certificate names this root's key as its issuer's (a certificate read back from the shared store may predate a root change).</summary>
    public bool IssuedByThisRoot(X509Certificate2 certificate)
    {
        // The typed extensions decode the DER: X509SubjectKeyIdentifierExtension(byte[], bool) would take
        // the encoded extension for the identifier itself, and then no certificate ever matched (every
        // proxy moving to another replica was issued a new certificate and pushed a new snapshot).
        var issuerKey = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var rootKeyId = root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
        return issuerKey is { } issuer && rootKeyId is { } own && issuer.Span.SequenceEqual(own.Span);
    }

    public void Dispose()
    {
        rootKey.Dispose();
        root.Dispose();
    }
}
