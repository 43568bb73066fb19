using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.ControlPlane.Configuration;
using Meshwork.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using CaRow = Meshwork.Store.Entities.CertificateAuthority;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Finds the mesh root at start: the one supplied in configuration, else the active one in
/// Postgres (key decrypted with ControlPlane:CaKeyEncryptionKey), else a new one that is stored
/// encrypted. Replicas starting at once on an empty table take turns (a transaction-scoped advisory
/// lock), so the second finds the root the first created instead of making its own.
/// </summary>
public sealed class CertificateAuthorityLoader(
    IServiceScopeFactory scopes,
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
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtext('meshwork-ca-root'))", ct);
        var now = DateTimeOffset.UtcNow;
        var stored = await db.CertificateAuthorities
            .Where(ca => ca.IsActive && ca.NotAfter > now)
            .OrderBy(ca => ca.CreatedAt)
            .FirstOrDefaultAsync(ct);
        if (stored is not null)
        {
            var keyPem = Encoding.UTF8.GetString(protector.Unprotect(stored.EncryptedPrivateKey));
            logger.LogInformation("Loaded CA root {Id} (expires {NotAfter:u})", stored.Id, stored.NotAfter);
            return new CertificateAuthority(X509Certificate2.CreateFromPem(stored.CertificatePem, keyPem));
        }

        var root = RootCertificateFactory.Create(trustDomain, RootLifetime);
        using var key = root.GetECDsaPrivateKey()!;
        db.CertificateAuthorities.Add(new CaRow
        {
            Id = Guid.NewGuid(),
            CertificatePem = root.ExportCertificatePem(),
            EncryptedPrivateKey = protector.Protect(Encoding.UTF8.GetBytes(key.ExportPkcs8PrivateKeyPem())),
            CreatedAt = now,
            NotAfter = new DateTimeOffset(root.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            IsActive = true,
        });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Generated a new CA root for trust domain {TrustDomain}", trustDomain);
        return new CertificateAuthority(root);
    }
}
