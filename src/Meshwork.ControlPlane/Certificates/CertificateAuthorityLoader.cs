using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.ControlPlane.Configuration;
using Meshwork.Store;
using Microsoft.Extensions.Options;
using CaRow = Meshwork.Store.Entities.CertificateAuthority;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Finds the mesh root at start: the one supplied in configuration, else the active one in
/// Postgres (key decrypted with ControlPlane:CaKeyEncryptionKey), else a new one that is stored
/// encrypted (<see cref="CertificateAuthorityStore"/>: replicas starting at once on an empty table
/// take turns, so the second finds the root the first created instead of making its own).
/// </summary>
public sealed class CertificateAuthorityLoader(
    CertificateAuthorityStore store,
    IOptions<ControlPlaneOptions> options,
    ILogger<CertificateAuthorityLoader> logger)
{
    private static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);

    public async Task<CertificateAuthority> LoadAsync(string trustDomain, CancellationToken ct)
    {
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.CaCertificatePem))
        {
            if (string.IsNullOrWhiteSpace(settings.CaPrivateKeyPem))
                throw new InvalidOperationException("ControlPlane:CaCertificatePem is set without ControlPlane:CaPrivateKeyPem.");
            logger.LogInformation("Using the CA root supplied in configuration");
            return new CertificateAuthority(X509Certificate2.CreateFromPem(settings.CaCertificatePem, settings.CaPrivateKeyPem));
        }

        var protector = new CaKeyProtector(settings.CaKeyEncryptionKey);
        var now = DateTimeOffset.UtcNow;
        X509Certificate2? generated = null;
        var (stored, created) = await store.GetOrAddActiveRootAsync(now, () =>
        {
            generated = RootCertificateFactory.Create(trustDomain, RootLifetime);
            using var key = generated.GetECDsaPrivateKey()!;
            return new CaRow
            {
                Id = Guid.NewGuid(),
                CertificatePem = generated.ExportCertificatePem(),
                EncryptedPrivateKey = protector.Protect(Encoding.UTF8.GetBytes(key.ExportPkcs8PrivateKeyPem())),
                CreatedAt = now,
                NotAfter = new DateTimeOffset(generated.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                IsActive = true,
            };
        }, ct);
        if (!created)
        {
            var keyPem = Encoding.UTF8.GetString(protector.Unprotect(stored.EncryptedPrivateKey));
            logger.LogInformation("Loaded CA root {Id} (expires {NotAfter:u})", stored.Id, stored.NotAfter);
            return new CertificateAuthority(X509Certificate2.CreateFromPem(stored.CertificatePem, keyPem));
        }

        logger.LogInformation("Generated a new CA root for trust domain {TrustDomain}", trustDomain);
        return new CertificateAuthority(generated!);
    }
}
