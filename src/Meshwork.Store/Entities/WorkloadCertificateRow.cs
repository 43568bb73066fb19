namespace Meshwork.Store.Entities;

/// <summary>
/// The current workload certificate of one proxy (table <c>workload_certificates</c>): public data
/// only (the key stays on the proxy). Kept so every replica hands a reconnecting proxy the
/// certificate it already serves, and so compiles the same snapshot another replica would.
/// </summary>
public sealed class WorkloadCertificateRow
{
    public required string ProxyId { get; set; }
    public required string SpiffeId { get; set; }
    public required string CertificatePem { get; set; }
    public required byte[] SubjectPublicKeyInfo { get; set; }
    public DateTimeOffset NotBefore { get; set; }
    public DateTimeOffset NotAfter { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
}
