using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Meshwork.Store;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>
/// Checks a proxy's bootstrap token against bootstrap_tokens: the SHA-256 of the presented secret
/// must match a stored hash (compared in constant time), not be expired or revoked, and the token
/// must be issued for the service and namespace the proxy claims to be.
/// Outcomes are remembered for <see cref="CacheFor"/> (never past the token's expiry), so a
/// reconnect storm of thousands of proxies sharing a few tokens costs a few queries, not thousands;
/// a revocation therefore takes effect for new streams within that time.
/// </summary>
public sealed class BootstrapTokenValidator(IServiceScopeFactory scopes, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<(string Hash, string Service, string Namespace), (TokenCheck Check, DateTimeOffset Until)> cache = new();

    public async Task<TokenCheck> ValidateAsync(string presented, string service, string ns, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(presented)) return TokenCheck.Refused("no bootstrap token");
        var hash = BootstrapTokenHash.Compute(presented);
        var now = time.GetUtcNow();
        var key = (hash, service, ns);
        if (cache.TryGetValue(key, out var cached) && cached.Until > now) return cached.Check;

        var (check, expiresAt) = await LookUpAsync(hash, service, ns, now, ct);
        if (cache.Count >= MaxCached) cache.Clear();
        var until = now + CacheFor;
        cache[key] = (check, expiresAt is { } expiry && expiry < until ? expiry : until);
        return check;
    }

    private async Task<(TokenCheck, DateTimeOffset?)> LookUpAsync(string hash, string service, string ns, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        var token = await db.BootstrapTokens.AsNoTracking().FirstOrDefaultAsync(t => t.SecretHash == hash, ct);
        if (token is null ||
            !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token.SecretHash), Encoding.ASCII.GetBytes(hash)))
            return (TokenCheck.Refused("unknown bootstrap token"), null);
        if (token.RevokedAt is not null) return (TokenCheck.Refused($"bootstrap token '{token.Name}' was revoked"), null);
        if (token.ExpiresAt <= now) return (TokenCheck.Refused($"bootstrap token '{token.Name}' expired"), null);
        if (!Matches(token.Namespace, ns) || !Matches(token.Service, service))
            return (TokenCheck.Refused($"bootstrap token '{token.Name}' is for {token.Namespace}/{token.Service}, not {ns}/{service}"), null);
        return (TokenCheck.Accepted(token.Name), token.ExpiresAt);
    }

    /// <summary>"*" in a token's service or namespace admits any (fleet-wide tokens for the local driver).</summary>
    private static bool Matches(string allowed, string claimed) =>
        allowed == "*" || string.Equals(allowed, claimed, StringComparison.Ordinal);
}

public sealed record TokenCheck(bool IsValid, string? TokenName, string? Reason)
{
    public static TokenCheck Accepted(string name) => new(true, name, null);
    public static TokenCheck Refused(string reason) => new(false, null, reason);
}
