namespace Meshwork.Store.Entities;

/// <summary>
/// A mesh CA certificate and its private key, encrypted by the control plane before it is stored
/// (table <c>certificate_authorities</c>). Inactive ones stay trusted until they expire.
/// </summary>
public sealed class CertificateAuthority
{
    public Guid Id { get; set; }
    public required string CertificatePem { get; set; }
    public required byte[] EncryptedPrivateKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NotAfter { get; set; }
    public bool IsActive { get; set; }
}
