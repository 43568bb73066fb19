using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>Creates the mesh's self-signed root (ECDSA P-256: fast to sign with, small on the wire).</summary>
public static class RootCertificateFactory
{
    public static X509Certificate2 Create(string trustDomain, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Meshwork root CA, O={trustDomain}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(lifetime));
        // Re-import so the returned certificate owns a key that outlives the using above.
        return X509Certificate2.CreateFromPem(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
