using System.Security.Cryptography.X509Certificates;
using Meshwork.Protocol.Transport;

namespace Meshwork.Proxy.Security;

/// <summary>SPIFFE X.509-SVID helpers: read the spiffe:// URI SAN and verify a chain against the mesh trust bundle only.</summary>
public static class SpiffeCertificates
{
    /// <summary>The first spiffe:// URI in the certificate's subject alternative names, or null.</summary>
    public static string? GetSpiffeId(X509Certificate2 certificate) => SpiffeCertificateId.Read(certificate);

    /// <summary>
    /// True when the certificate chains to one of the trust bundle's roots (and nothing else: the
    /// system store is not consulted), is within its validity period and carries a SPIFFE id.
    /// </summary>
    public static bool ChainsToBundle(X509Certificate2 certificate, X509Certificate2Collection trustBundle, X509Certificate2Collection? intermediates = null)
    {
        if (trustBundle.Count == 0 || GetSpiffeId(certificate) is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustBundle);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (intermediates is not null)
            chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        return chain.Build(certificate);
    }
}
