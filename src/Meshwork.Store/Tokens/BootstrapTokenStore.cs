using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Store;

/// <summary>
/// The control plane's reads of bootstrap_tokens (its database role may only read them; the
/// portal issues and revokes them through <see cref="BootstrapTokenService"/>). Each call uses a
/// context of its own, so it is safe from any thread.
/// </summary>
public sealed class BootstrapTokenStore(IServiceScopeFactory scopes)
{
    /// <summary>The token whose stored hash is <paramref name="secretHash"/> (<see cref="BootstrapTokenService.Hash"/>); null when none.</summary>
    public async Task<Entities.BootstrapToken?> FindByHashAsync(string secretHash, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        return await db.BootstrapTokens.AsNoTracking().FirstOrDefaultAsync(t => t.SecretHash == secretHash, ct);
    }

    /// <summary>The lifetime and revocation of each of <paramref name="ids"/> that exists, by id.</summary>
    public async Task<Dictionary<Guid, BootstrapTokenState>> StatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        return await db.BootstrapTokens.AsNoTracking().Where(t => ids.Contains(t.Id))
            .Select(t => new BootstrapTokenState(t.Id, t.Name, t.ExpiresAt, t.RevokedAt)).ToDictionaryAsync(t => t.Id, ct);
    }
}

public sealed record BootstrapTokenState(Guid Id, string Name, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt);
