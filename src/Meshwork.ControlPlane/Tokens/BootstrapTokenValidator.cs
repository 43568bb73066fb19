using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Meshwork.Model.Validation;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Tokens;

/// <summary>
/// Checks a proxy's bootstrap token against bootstrap_tokens: the SHA-256 of the presented secret
/// must match a stored hash (compared in constant time), not be expired or revoked, and the token
/// must be issued for the service and namespace the proxy claims ("*" only where the admin issued a
/// wildcard, and never for the control plane's own namespace).
/// Looked-up tokens are remembered for <see cref="CacheFor"/> (never past their expiry), and the
/// Hellos that arrive while a token is being looked up wait for that one query: a join storm of
/// proxies sharing a few tokens costs a few queries, not one per proxy queued on the connection
/// pool. A failed lookup is not remembered; the next Hello tries again. A revocation
/// refuses new joins within that time, or sooner: <see cref="TokenRevocationWatcher"/>, which closes
/// the streams already open, makes the validator forget the token first.
/// </summary>
public sealed class BootstrapTokenValidator(BootstrapTokenStore tokens, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, Lookup> cache = new();

    public async Task<TokenCheck> ValidateAsync(string presented, string service, string ns, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(presented)) return TokenCheck.Refused("no bootstrap token");
        var hash = BootstrapTokenHash.Compute(presented);
        var now = time.GetUtcNow();
        if (cache.Count >= MaxCached && !cache.ContainsKey(hash)) cache.Clear();
        var lookup = cache.AddOrUpdate(hash, h => new Lookup(() => LookUpAsync(h), now),
            (h, known) => known.IsUsableAt(now) ? known : new Lookup(() => LookUpAsync(h), now));
        // One caller giving up (its stream closed) must not cancel the query the others wait for.
        var token = await lookup.Result.WaitAsync(ct);
        return Check(token, service, ns, now);
    }

    /// <summary>
    /// Drops what is remembered of a token found revoked (<see cref="TokenRevocationWatcher"/>), so no
    /// join is admitted with it once its streams were closed.
    /// </summary>
    public void Forget(Guid tokenId)
    {
        // A lookup still running may have read the row before the revocation: asked again next time.
        foreach (var (hash, lookup) in cache)
            if (!lookup.TryGetAnswer(out var token) || token?.Id == tokenId) cache.TryRemove(hash, out _);
    }

    private static TokenCheck Check(StoredToken? token, string service, string ns, DateTimeOffset now)
    {
        if (token is null) return TokenCheck.Refused("unknown bootstrap token");
        if (token.RevokedAt is not null) return TokenCheck.Refused($"bootstrap token '{token.Name}' was revoked");
        if (token.ExpiresAt <= now) return TokenCheck.Refused($"bootstrap token '{token.Name}' expired");
        if (ns == IdentityNames.ReservedNamespace)
            return TokenCheck.Refused($"namespace '{IdentityNames.ReservedNamespace}' is the control plane's own identity");
        if (!Matches(token.Namespace, ns) || !Matches(token.Service, service))
            return TokenCheck.Refused($"bootstrap token '{token.Name}' is for {token.Namespace}/{token.Service}, not {ns}/{service}");
        return TokenCheck.Accepted(token.Id, token.Name, token.ExpiresAt);
    }

    private async Task<StoredToken?> LookUpAsync(string hash)
    {
        // Bounded by the store's command timeout, not by any one caller.
        var token = await tokens.FindByHashAsync(hash, CancellationToken.None);
        if (token is null ||
            !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token.SecretHash), Encoding.ASCII.GetBytes(hash)))
            return null;
        return new StoredToken(token.Id, token.Name, token.Namespace, token.Service, token.ExpiresAt, token.RevokedAt);
    }

    /// <summary>"*" is an explicit wildcard the admin chose when issuing the token.</summary>
    private static bool Matches(string allowed, string claimed) =>
        allowed == IdentityNames.Wildcard || string.Equals(allowed, claimed, StringComparison.Ordinal);

    /// <summary>
    /// One query for one hash, started by the first caller that needs it (Lazy: AddOrUpdate may build
    /// a Lookup it then discards, which must cost nothing) and shared by everyone who asks meanwhile.
    /// </summary>
    private sealed class Lookup(Func<Task<StoredToken?>> query, DateTimeOffset startedAt)
    {
        private readonly Lazy<Task<StoredToken?>> result = new(query);

        public Task<StoredToken?> Result => result.Value;

        /// <summary>Still running (join it), or answered less than <see cref="CacheFor"/> ago and not past the token's expiry.</summary>
        public bool IsUsableAt(DateTimeOffset now)
        {
            if (!result.IsValueCreated || !Result.IsCompleted) return true;
            if (!TryGetAnswer(out var token)) return false;
            var until = startedAt + CacheFor;
            if (token is not null && token.ExpiresAt < until) until = token.ExpiresAt;
            return until > now;
        }

        /// <summary>The answer, once the query succeeded (null: no such token).</summary>
        public bool TryGetAnswer(out StoredToken? token)
        {
            var answered = result.IsValueCreated && Result.IsCompletedSuccessfully;
            token = answered ? Result.Result : null;
            return answered;
        }
    }

    private sealed record StoredToken(Guid Id, string Name, string Namespace, string Service, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt);
}

public sealed record TokenCheck(bool IsValid, Guid TokenId, string? TokenName, DateTimeOffset ExpiresAt, string? Reason)
{
    public static TokenCheck Accepted(Guid id, string name, DateTimeOffset expiresAt) => new(true, id, name, expiresAt, null);
    public static TokenCheck Refused(string reason) => new(false, Guid.Empty, null, default, reason);
}
