using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Reads a proxy's TLS client certificate as a SPIFFE X.509-SVID of this mesh: it must chain to the
/// mesh root (nothing else is trusted), be within its validity period and carry exactly one
/// spiffe:// URI SAN in the trust domain. Its identity is that URI and nothing else.
/// </summary>
public static class ClientCertificateIdentity
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The certificate's SPIFFE id when it is a valid workload certificate of <paramref name="root"/>; else null and why.</summary>
    public static string? Verify(X509Certificate2 certificate, X509Certificate2 root, string trustDomain, DateTimeOffset now, out string? problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        // The mesh CA publishes no revocation lists: certificates are short-lived, and the stream
        // handler refuses a certificate whose join token was revoked.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        if (!chain.Build(certificate))
        {
            problem = "it does not chain to the mesh root or is not valid now (" +
                string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct()) + ")";
            return null;
        }
        var uris = SpiffeUris(certificate);
        if (uris is not [var spiffeId])
        {
            problem = $"it carries {uris.Count} spiffe:// URI SANs (exactly one expected)";
            return null;
        }
        if (!spiffeId.StartsWith($"spiffe://{trustDomain}/", StringComparison.Ordinal))
        {
            problem = $"its SPIFFE id {spiffeId} is not in trust domain {trustDomain}";
            return null;
        }
        problem = null;
        return spiffeId;
    }

    private static List<string> SpiffeUris(X509Certificate2 certificate)
    {
        var found = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid) continue;
            try
            {
                var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (names.HasData)
                {
                    if (names.PeekTag() == UriTag)
                    {
                        var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                        if (uri.StartsWith("spiffe://", StringComparison.Ordinal)) found.Add(uri);
                    }
                    else names.ReadEncodedValue();
                }
            }
            catch (AsnContentException)
            {
                return [];
            }
        }
        return found;
    }
}
