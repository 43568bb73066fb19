using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.DemoFleet;

/// <summary>
/// The demo fleet's bootstrap tokens: one per demo service, scoped to namespace "default" and that
/// service, with the default join lifetime (BootstrapTokens:DefaultLifetime, 1 hour). The launcher
/// issues one each time it starts a sidecar; the sidecar joins with it once and reconnects with its
/// workload certificate afterwards. Older tokens are not revoked (revoking would evict the sidecars
/// that joined with them); they expire on their own.
/// </summary>
public static class DemoToken
{
    public static string NameFor(string service) => $"meshwork-up demo {service}";

    /// <param name="auditSealKey">The portal's Audit:SealKey: the issue is audited, and its entry must be sealed like the rest of the log.</param>
    public static async Task<int> IssueAsync(string connectionString, string? auditSealKey, string service)
    {
        await using var provider = new ServiceCollection().AddMeshworkStore(connectionString, auditSealKey).BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<BootstrapTokenService>();
        IssuedBootstrapToken issued;
        try
        {
            issued = await tokens.IssueAsync(NameFor(service), service, "default", validFor: null, DemoSeeder.Actor);
        }
        catch (BootstrapTokenRequestException ex)
        {
            await Console.Error.WriteLineAsync($"cannot issue a demo token for '{service}': {ex.Message}");
            return 1;
        }
        // The secret goes to stdout alone (the caller redirects it into a private file), the rest to stderr.
        await Console.Error.WriteLineAsync($"issued bootstrap token {issued.Id} for default/{service} (expires {issued.ExpiresAt:u})");
        Console.WriteLine(issued.Secret);
        return 0;
    }
}
