using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Reads the PKCS#10 request a proxy sends in its Hello. Only its public key is used: the request
/// must be signed by the matching private key (proof the proxy holds it), and its subject and SANs
/// are ignored because the identity comes from the bootstrap token and the registry.
/// </summary>
public static class WorkloadSigningRequest
{
    // A P-256 request is about 250 bytes and an RSA-4096 one about 1.2 KB; anything far larger is not a workload CSR.
    private const int MaxLength = 8 * 1024;
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string P256CurveOid = "1.2.840.10045.3.1.7";
    private const string RsaPublicKeyOid = "1.2.840.113549.1.1.1";

    /// <summary>The request's public key when the request is acceptable, else null and the reason.</summary>
    public static PublicKey? Read(ReadOnlySpan<byte> der, out string? problem)
    {
        problem = null;
        if (der.IsEmpty)
        {
            problem = "Hello has no certificate_signing_request (the proxy must send a PKCS#10 CSR for its own key)";
            return null;
        }
        if (der.Length > MaxLength)
        {
            problem = $"certificate_signing_request is {der.Length} bytes (at most {MaxLength})";
            return null;
        }
        CertificateRequest request;
        try
        {
            // Default load options verify the self-signature; the hash argument only matters for
            // signing with the request object, which the CA does with its own settings.
            request = CertificateRequest.LoadSigningRequest(der.ToArray(), HashAlgorithmName.SHA256);
        }
        catch (CryptographicException ex)
        {
            problem = $"certificate_signing_request is not a validly self-signed PKCS#10 request: {ex.Message}";
            return null;
        }
        return AcceptableKey(request.PublicKey, out problem) ? request.PublicKey : null;
    }

    private static bool AcceptableKey(PublicKey key, out string? problem)
    {
        problem = null;
        switch (key.Oid.Value)
        {
            case EcPublicKeyOid:
                using (var ec = key.GetECDsaPublicKey())
                {
                    if (ec?.ExportParameters(false).Curve.Oid.Value == P256CurveOid) return true;
                }
                problem = "certificate_signing_request: an EC key must be on curve P-256";
                return false;
            case RsaPublicKeyOid:
                using (var rsa = key.GetRSAPublicKey())
                {
                    if (rsa?.KeySize >= 2048) return true;
                }
                problem = "certificate_signing_request: an RSA key must be at least 2048 bits";
                return false;
            default:
                problem = $"certificate_signing_request: key algorithm {key.Oid.Value} is not supported (EC P-256 or RSA >= 2048)";
                return false;
        }
    }
}
