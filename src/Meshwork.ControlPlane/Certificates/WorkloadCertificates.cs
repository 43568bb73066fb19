using System.Collections.Concurrent;
using Meshwork.Model.Snapshots;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// The current certificate of every connected proxy. Issued on first need, re-issued once two
/// thirds of its life have passed (the new one travels in the proxy's next snapshot; the proxy
/// swaps it for new handshakes while existing connections carry on).
/// </summary>
public sealed class WorkloadCertificates(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, IssuedCertificate> byProxy = new();
    private CertificateAuthority? authority;

    public CertificateAuthority Authority => authority ?? throw new InvalidOperationException("The CA is not loaded yet.");

    public void Use(CertificateAuthority ca) => authority = ca;

    /// <summary>The proxy's valid certificate for this identity, issuing one when it has none, it changed identity, or it is due.</summary>
    public IssuedCertificate For(string proxyId, string spiffeId, TimeSpan ttl, string commonName)
    {
        var now = time.GetUtcNow();
        if (byProxy.TryGetValue(proxyId, out var current) && current.SpiffeId == spiffeId && current.RenewAt > now)
            return current;
        var issued = Authority.Issue(spiffeId, commonName, ttl);
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
        PrivateKeyPem = certificate.PrivateKeyPem,
        TrustBundlePem = Authority.TrustBundlePem,
    };
}
