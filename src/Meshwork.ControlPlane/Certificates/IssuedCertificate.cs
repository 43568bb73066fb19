namespace Meshwork.ControlPlane.Certificates;

/// <summary>A workload certificate and its key, as delivered to one proxy in its snapshot.</summary>
public sealed record IssuedCertificate(
    string SpiffeId,
    string CertificatePem,
    string PrivateKeyPem,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset IssuedAt)
{
    /// <summary>
    /// Renewal point: two thirds of the certificate's life from issuance (not from NotBefore, which is
    /// backdated for clock skew), so a renewal has a third of its life to land.
    /// </summary>
    public DateTimeOffset RenewAt => IssuedAt + (NotAfter - IssuedAt) * 2 / 3;
}
