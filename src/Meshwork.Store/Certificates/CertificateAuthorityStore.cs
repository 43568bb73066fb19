using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Store;

/// <summary>
/// The mesh root in certificate_authorities (the control plane's: its database role reads and adds
/// roots; the key is stored encrypted by the control plane, never seen here in clear).
/// </summary>
public sealed class CertificateAuthorityStore(IServiceScopeFactory scopes)
{
    /// <summary>
    /// The oldest active root still valid at <paramref name="now"/>; when there is none, the one
    /// <paramref name="create"/> makes, stored. Replicas calling at once on an empty table take turns
    /// (a transaction-scoped advisory lock), so the second finds the root the first created instead
    /// of making its own. <c>Created</c> tells which happened.
    /// </summary>
    public async Task<(CertificateAuthority Root, bool Created)> GetOrAddActiveRootAsync(DateTimeOffset now, Func<CertificateAuthority> create,
        CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtext('meshwork-ca-root'))", ct);
        var stored = await db.CertificateAuthorities
            .Where(ca => ca.IsActive && ca.NotAfter > now)
            .OrderBy(ca => ca.CreatedAt)
            .FirstOrDefaultAsync(ct);
        if (stored is not null)
            return (stored, false);

        var root = create();
        db.CertificateAuthorities.Add(root);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return (root, true);
    }
}
