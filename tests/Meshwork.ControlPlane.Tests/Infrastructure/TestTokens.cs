using System.Security.Cryptography;
using Meshwork.ControlPlane.Tokens;
using Meshwork.Store.Entities;
using Meshwork.Testing.Postgres;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>Bootstrap tokens written straight to bootstrap_tokens, the way the portal/CLI issue them.</summary>
internal static class TestTokens
{
    public static async Task<string> IssueAsync(string connectionString, string service = "*", string ns = "*",
        TimeSpan? validFor = null, bool revoked = false)
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await using var db = MigratedDatabase.OpenContext(connectionString);
        var now = DateTimeOffset.UtcNow;
        db.BootstrapTokens.Add(new BootstrapToken
        {
            Id = Guid.NewGuid(),
            Name = $"test-{Guid.NewGuid():N}"[..16],
            SecretHash = BootstrapTokenHash.Compute(secret),
            Service = service,
            Namespace = ns,
            CreatedAt = now,
            ExpiresAt = now + (validFor ?? TimeSpan.FromHours(1)),
            RevokedAt = revoked ? now : null,
            CreatedBy = "tests",
        });
        await db.SaveChangesAsync();
        return secret;
    }
}
