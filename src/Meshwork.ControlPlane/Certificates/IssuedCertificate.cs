using Meshwork.Store.Entities;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// A workload certificate as delivered to one proxy in its snapshot. Only the public half of the
/// proxy's key is known here (from its CSR); the private key never leaves the proxy.
/// </summary>
public sealed record IssuedCertificate(
    string SpiffeId,
    string CertificatePem,
    byte[] SubjectPublicKeyInfo,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset IssuedAt)
{
    /// <summary>
    /// Renewal point: two thirds of the certificate's life from issuance (not from NotBefore, which is
    /// backdated for clock skew), so a renewal has a third of its life to land.
    /// </summary>
    public DateTimeOffset RenewAt => IssuedAt + (NotAfter - IssuedAt) * 2 / 3;

    /// <summary>The shared store's row for the proxy holding this certificate.</summary>
    public WorkloadCertificateRow ToRow(string proxyId) => new()
    {
        ProxyId = proxyId,
        SpiffeId = SpiffeId,
        CertificatePem = CertificatePem,
        SubjectPublicKeyInfo = SubjectPublicKeyInfo,
        NotBefore = NotBefore,
        NotAfter = NotAfter,
        IssuedAt = IssuedAt,
    };
}
