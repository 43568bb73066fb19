using System.Security.Cryptography;
using System.Text;
using Meshwork.Store;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>
/// Checks a proxy's bootstrap token against bootstrap_tokens: the SHA-256 of the presented secret
/// must match a stored hash (compared in constant time), not be expired or revoked, and the token
/// must be issued for the service and namespace the proxy claims to be.
/// </summary>
public sealed class BootstrapTokenValidator(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task<TokenCheck> ValidateAsync(string presented, string service, string ns, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(presented)) return TokenCheck.Refused("no bootstrap token");
        var hash = BootstrapTokenHash.Compute(presented);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MeshworkDbContext>();
        var token = await db.BootstrapTokens.AsNoTracking().FirstOrDefaultAsync(t => t.SecretHash == hash, ct);
        if (token is null ||
            !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token.SecretHash), Encoding.ASCII.GetBytes(hash)))
            return TokenCheck.Refused("unknown bootstrap token");
        if (token.RevokedAt is not null) return TokenCheck.Refused($"bootstrap token '{token.Name}' was revoked");
        if (token.ExpiresAt <= time.GetUtcNow()) return TokenCheck.Refused($"bootstrap token '{token.Name}' expired");
        if (!Matches(token.Namespace, ns) || !Matches(token.Service, service))
            return TokenCheck.Refused($"bootstrap token '{token.Name}' is for {token.Namespace}/{token.Service}, not {ns}/{service}");
        return TokenCheck.Accepted(token.Name);
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
