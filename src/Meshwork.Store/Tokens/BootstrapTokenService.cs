using System.Security.Cryptography;
using System.Text;
using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store;

/// <summary>
/// Issues, lists and revokes the bootstrap tokens proxies present to the control plane (for the
/// portal and the CLI). The secret is returned once and only its hash is stored; the control plane
/// checks a presented token with <see cref="Hash"/>, so both sides share this one definition.
/// </summary>
public sealed class BootstrapTokenService(MeshworkDbContext db, TimeProvider time)
{
    /// <summary>How a secret is stored: lower-case hex SHA-256 of its UTF-8 text.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>A new token for proxies of <paramref name="service"/> in <paramref name="ns"/> ("*" admits any); returns the secret.</summary>
    public async Task<IssuedBootstrapToken> IssueAsync(string name, string service, string ns, TimeSpan validFor, string createdBy,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(ns);
        if (validFor <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(validFor), "must be positive");
        var secret = "mwbt_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        var token = new BootstrapToken
        {
            Id = Guid.NewGuid(),
            Name = name,
            SecretHash = Hash(secret),
            Service = service,
            Namespace = ns,
            CreatedAt = now,
            ExpiresAt = now + validFor,
            CreatedBy = createdBy,
        };
        db.BootstrapTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return new IssuedBootstrapToken(token.Id, secret, token.ExpiresAt);
    }

    /// <summary>Tokens without their secrets, newest first.</summary>
    public async Task<IReadOnlyList<BootstrapToken>> ListAsync(CancellationToken ct = default) =>
        await db.BootstrapTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(ct);

    /// <summary>Marks the token revoked (new proxy streams presenting it are refused); false when it does not exist.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken ct = default)
    {
        var token = await db.BootstrapTokens.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null) return false;
        token.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return true;
    }
}

/// <summary>The one moment the secret exists outside the proxy: hand it to the proxy's ControlPlaneClient:BootstrapToken.</summary>
public sealed record IssuedBootstrapToken(Guid Id, string Secret, DateTimeOffset ExpiresAt);
