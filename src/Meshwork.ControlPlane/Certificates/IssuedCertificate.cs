namespace Meshwork.ControlPlane.Certificates;

/// <summary>A workload certificate and its key, as delivered to one proxy in its snapshot.</summary>
public sealed record IssuedCertificate(
    string SpiffeId,
    string CertificatePem,
    string PrivateKeyPem,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter)
{
    /// <summary>Renewal point: two thirds of the certificate's life, so a renewal has a third of its life to land.</summary>
    public DateTimeOffset RenewAt => NotBefore + (NotAfter - NotBefore) * 2 / 3;
}
