using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Snapshots;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// The current certificate of every connected proxy, for the public key of the CSR in its Hello.
/// Issued on first need, re-issued once two thirds of its life have passed, for the same key (the
/// new one travels in the proxy's next snapshot; the proxy swaps it for new handshakes while
/// existing connections carry on).
/// </summary>
public sealed class WorkloadCertificates(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, IssuedCertificate> byProxy = new();
    private CertificateAuthority? authority;

    public CertificateAuthority Authority => authority ?? throw new InvalidOperationException("The CA is not loaded yet.");

    public void Use(CertificateAuthority ca) => authority = ca;

    /// <summary>
    /// The proxy's valid certificate for this identity and key, issuing one when it has none, it
    /// changed identity or key (a restarted proxy without its stored key), or it is due.
    /// </summary>
    public IssuedCertificate For(string proxyId, string spiffeId, TimeSpan ttl, string commonName, PublicKey proxyKey)
    {
        var now = time.GetUtcNow();
        var keyInfo = proxyKey.ExportSubjectPublicKeyInfo();
        if (byProxy.TryGetValue(proxyId, out var current) && current.SpiffeId == spiffeId && current.RenewAt > now
            && current.SubjectPublicKeyInfo.AsSpan().SequenceEqual(keyInfo))
            return current;
        var issued = Authority.Issue(spiffeId, commonName, ttl, proxyKey);
        byProxy[proxyId] = issued;
        return issued;
    }

    public IssuedCertificate? Current(string proxyId) => byProxy.GetValueOrDefault(proxyId);

    /// <summary>Proxies whose certificate has reached its renewal point.</summary>
    public IReadOnlyList<string> DueForRenewal()
    {
        var now = time.GetUtcNow();
        return byProxy.Where(pair => pair.Value.RenewAt <= now).Select(pair => pair.Key).ToList();
    }

    public void Forget(string proxyId) => byProxy.TryRemove(proxyId, out _);

    public SnapshotCertificates ToSnapshot(IssuedCertificate certificate) => new()
    {
        CertificateChainPem = certificate.CertificatePem,
        // Never a key: the proxy pairs the certificate with the key it generated and kept itself.
        PrivateKeyPem = "",
        TrustBundlePem = Authority.TrustBundlePem,
    };
}
