using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Store;
using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>
/// Remembers which bootstrap token admitted each proxy key (table proxy_joins), so a proxy that
/// reconnects with its workload certificate is still tied to the token it joined with: revoking the
/// token locks it out too.
/// </summary>
public sealed class ProxyJoinStore(IServiceScopeFactory scopes, TimeProvider time)
{
    public static string KeyHash(PublicKey key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    public async Task RecordAsync(PublicKey key, Guid tokenId, string ns, string service, string proxyId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        var keyHash = KeyHash(key);
        var join = await db.ProxyJoins.FirstOrDefaultAsync(j => j.KeyHash == keyHash, ct);
        if (join is null)
        {
            join = new ProxyJoin { KeyHash = keyHash, Namespace = ns, Service = service, ProxyId = proxyId };
            db.ProxyJoins.Add(join);
        }
        (join.TokenId, join.Namespace, join.Service, join.ProxyId, join.JoinedAt) = (tokenId, ns, service, proxyId, time.GetUtcNow());
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // Two replicas recorded the same key at once: the other row names a token this key joined with too.
        }
    }

    /// <summary>The join of this key and the state of its token; null when the key never joined with a token.</summary>
    public async Task<JoinRecord?> FindAsync(PublicKey key, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        var keyHash = KeyHash(key);
        return await (from j in db.ProxyJoins.AsNoTracking()
                      join t in db.BootstrapTokens.AsNoTracking() on j.TokenId equals t.Id
                      where j.KeyHash == keyHash
                      select new JoinRecord(t.Id, t.Name, j.Namespace, j.Service, t.RevokedAt)).FirstOrDefaultAsync(ct);
    }
}

public sealed record JoinRecord(Guid TokenId, string TokenName, string Namespace, string Service, DateTimeOffset? TokenRevokedAt);
