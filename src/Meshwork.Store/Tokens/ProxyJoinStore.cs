using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Store;

/// <summary>
/// Remembers which bootstrap token admitted each proxy key (table proxy_joins), so a proxy that
/// reconnects with its workload certificate is still tied to the token it joined with: revoking the
/// token locks it out too. The control plane's: its database role writes proxy_joins and reads bootstrap_tokens.
/// </summary>
public sealed class ProxyJoinStore(IServiceScopeFactory scopes, TimeProvider time)
{
    public static string KeyHash(PublicKey key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    /// <summary>
    /// Records (or moves) the key's join in one statement: replicas admitting the same key at once, or a
    /// proxy that rejoins with a new token, leave one row naming the latest token and never a failed insert.
    /// </summary>
    public async Task RecordAsync(PublicKey key, Guid tokenId, string ns, string service, string proxyId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        var keyHash = KeyHash(key);
        var joinedAt = time.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO proxy_joins (key_hash, token_id, namespace, service, proxy_id, joined_at)
            VALUES ({keyHash}, {tokenId}, {ns}, {service}, {proxyId}, {joinedAt})
            ON CONFLICT (key_hash) DO UPDATE SET token_id = excluded.token_id, namespace = excluded.namespace,
                service = excluded.service, proxy_id = excluded.proxy_id, joined_at = excluded.joined_at
            """, ct);
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
