using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Config;

namespace Meshwork.Proxy.Security;

/// <summary>
/// The proxy's own ECDSA P-256 key: the control plane only ever sees its public half (in the CSR of
/// each Hello) and signs certificates for it. One key for the life of the process, stored next to
/// the last good snapshot (owner-only) so a proxy restarted while the control plane is away can
/// still serve the stored certificate. Created on first use: a proxy fed snapshot files that carry
/// their own key never makes one.
/// </summary>
public sealed class ProxyKey(LastGoodSnapshotStore store, ILogger<ProxyKey> logger) : IDisposable
{
    private readonly Lock gate = new();
    private ECDsa? key;
    private byte[]? signingRequest;

    /// <summary>DER PKCS#10 request signed with the key; the same bytes on every reconnect.</summary>
    public byte[] SigningRequest
    {
        get
        {
            lock (gate)
            {
                // The subject is a placeholder: the control plane takes the identity from the bootstrap token.
                return signingRequest ??= new CertificateRequest("CN=meshwork-proxy", Key, HashAlgorithmName.SHA256).CreateSigningRequest();
            }
        }
    }

    /// <summary>True when the certificate was issued for this key.</summary>
    public bool Matches(X509Certificate2 certificate) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(Key.ExportSubjectPublicKeyInfo());

    /// <summary>The certificate with this key attached, ready to serve TLS. Check <see cref="Matches"/> first.</summary>
    public X509Certificate2 Pair(X509Certificate2 certificate) => certificate.CopyWithPrivateKey(Key);

    private ECDsa Key
    {
        get
        {
            lock (gate)
                return key ??= LoadOrCreate();
        }
    }

    private ECDsa LoadOrCreate()
    {
        if (store.LoadKeyPem() is { } pem)
        {
            var stored = ECDsa.Create();
            try
            {
                stored.ImportFromPem(pem);
                if (stored.KeySize == 256) return stored;
                logger.LogWarning("The stored proxy key {Path} is not P-256; generating a new one", store.KeyFilePath);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                logger.LogWarning("The stored proxy key {Path} is unreadable ({Message}); generating a new one", store.KeyFilePath, ex.Message);
            }
            stored.Dispose();
        }
        var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            store.SaveKeyPem(created.ExportPkcs8PrivateKeyPem());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still usable: only a restart without a control plane needs the stored copy.
            logger.LogWarning("Could not store the proxy key at {Path} ({Message}); after a restart the last good snapshot's certificate will not match",
                store.KeyFilePath, ex.Message);
        }
        return created;
    }

    public void Dispose()
    {
        lock (gate) key?.Dispose();
    }
}
