using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Meshwork.Model.Snapshots;
using Meshwork.Store.Entities;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// The current certificate of every connected proxy, for the public key of the CSR in its Hello.
/// Issued on first need, re-issued once two thirds of its life have passed, for the same key (the
/// new one travels in the proxy's next snapshot; the proxy swaps it for new handshakes while
/// existing connections carry on). Every issue is also written to the shared store (by
/// <see cref="WorkloadCertificateWriter"/>), and a proxy's stored certificate is adopted at its Hello:
/// a proxy moving to another replica, or back to a restarted one, keeps the certificate it serves,
/// so the replica compiles the snapshot it already has and pushes nothing.
/// </summary>
public sealed class WorkloadCertificates(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, IssuedCertificate> byProxy = new();
    private readonly Channel<CertificateWrite> writes = Channel.CreateUnbounded<CertificateWrite>(new() { SingleReader = true });
    private CertificateAuthority? authority;

    public CertificateAuthority Authority => authority ?? throw new InvalidOperationException("The CA is not loaded yet.");

    /// <summary>Issues and retirements still to be written to the shared store, in order.</summary>
    public ChannelReader<CertificateWrite> Writes => writes.Reader;

    public void Use(CertificateAuthority ca) => authority = ca;

    public bool Has(string proxyId) => byProxy.ContainsKey(proxyId);

    /// <summary>
    /// Takes on the certificate another replica (or this one before a restart) issued to the proxy,
    /// read from the shared store; ignored when the proxy has one here already or another root signed it.
    /// </summary>
    public void Adopt(WorkloadCertificateRow row)
    {
        using var certificate = X509Certificate2.CreateFromPem(row.CertificatePem);
        if (!Authority.IssuedByThisRoot(certificate)) return;
        byProxy.TryAdd(row.ProxyId, new IssuedCertificate(row.SpiffeId, row.CertificatePem, row.SubjectPublicKeyInfo, row.NotBefore, row.NotAfter, row.IssuedAt));
    }

    /// <summary>
    /// The proxy's valid certificate for this identity and key, issuing one when it has none, it
    /// changed identity or key (a restarted proxy without its stored key), or it is due.
    /// </summary>
    public IssuedCertificate For(string proxyId, string spiffeId, TimeSpan ttl, PublicKey proxyKey)
    {
        var now = time.GetUtcNow();
        var keyInfo = proxyKey.ExportSubjectPublicKeyInfo();
        if (byProxy.TryGetValue(proxyId, out var current) && current.SpiffeId == spiffeId && current.RenewAt > now
            && current.SubjectPublicKeyInfo.AsSpan().SequenceEqual(keyInfo))
            return current;
        var issued = Authority.Issue(spiffeId, commonName: null, ttl, proxyKey);
        byProxy[proxyId] = issued;
        writes.Writer.TryWrite(new CertificateWrite(proxyId, issued.ToRow(proxyId)));
        return issued;
    }

    public IssuedCertificate? Current(string proxyId) => byProxy.GetValueOrDefault(proxyId);

    /// <summary>Proxies whose certificate has reached its renewal point.</summary>
    public IReadOnlyList<string> DueForRenewal()
    {
        var now = time.GetUtcNow();
        return byProxy.Where(pair => pair.Value.RenewAt <= now).Select(pair => pair.Key).ToList();
    }

    /// <summary>This replica no longer serves the proxy (its stream is gone); the stored certificate stays for wherever it reconnects.</summary>
    public void Forget(string proxyId) => byProxy.TryRemove(proxyId, out _);

    /// <summary>The proxy left the mesh on purpose: its certificate is dropped here and from the shared store.</summary>
    public void Retire(string proxyId)
    {
        Forget(proxyId);
        writes.Writer.TryWrite(new CertificateWrite(proxyId, null));
    }

    public SnapshotCertificates ToSnapshot(IssuedCertificate certificate) => new()
    {
        CertificateChainPem = certificate.CertificatePem,
        // Never a key: the proxy pairs the certificate with the key it generated and kept itself.
        PrivateKeyPem = "",
        TrustBundlePem = Authority.TrustBundlePem,
    };
}

/// <summary>A certificate to store for the proxy, or (null) its certificate to delete.</summary>
public sealed record CertificateWrite(string ProxyId, WorkloadCertificateRow? Certificate);
