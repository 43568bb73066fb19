using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.DemoFleet;

/// <summary>
/// The demo fleet's bootstrap token: one token for every demo proxy (service "*", namespace
/// "default"), reissued at each `up` so the secret on disk is always fresh and old ones stop working.
/// </summary>
public static class DemoToken
{
    public const string Name = "meshwork-up demo fleet";

    public static async Task<int> IssueAsync(string connectionString)
    {
        await using var provider = new ServiceCollection().AddMeshworkStore(connectionString).BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<BootstrapTokenService>();
        foreach (var old in await tokens.ListAsync())
        {
            if (old.Name == Name && old.RevokedAt is null)
                await tokens.RevokeAsync(old.Id);
        }
        var issued = await tokens.IssueAsync(Name, "*", "default", TimeSpan.FromDays(1), DemoSeeder.Actor.Name);
        // The secret goes to stdout alone (the caller redirects it into a private file), the rest to stderr.
        await Console.Error.WriteLineAsync($"issued bootstrap token {issued.Id} (expires {issued.ExpiresAt:u})");
        Console.WriteLine(issued.Secret);
        return 0;
    }
}
