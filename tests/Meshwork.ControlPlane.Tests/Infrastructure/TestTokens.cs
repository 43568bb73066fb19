using Meshwork.Store;
using Meshwork.Testing.Postgres;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>Bootstrap tokens issued (and revoked) through the store's BootstrapTokenService, as the portal and CLI do.</summary>
internal static class TestTokens
{
    private static readonly ChangeActor Actor = new("tests", ChangeSource.System);

    /// <summary>
    /// A token for <paramref name="ns"/>/<paramref name="service"/>. The defaults ("*") are an explicit
    /// wildcard, as an admin would choose it: the fixtures' shared token admits every test service.
    /// </summary>
    public static async Task<string> IssueAsync(string connectionString, string service = "*", string ns = "*",
        TimeSpan? validFor = null, bool revoked = false) =>
        (await IssueWithIdAsync(connectionString, service, ns, validFor, revoked)).Secret;

    public static async Task<IssuedBootstrapToken> IssueWithIdAsync(string connectionString, string service, string ns,
        TimeSpan? validFor = null, bool revoked = false)
    {
        await using var db = MigratedDatabase.OpenSession(connectionString);
        var tokens = new BootstrapTokenService(db, TimeProvider.System);
        var wildcard = service == "*" || ns == "*";
        var issued = await tokens.IssueAsync($"test-{Guid.NewGuid():N}"[..16], service, ns, validFor ?? TimeSpan.FromHours(1), Actor, wildcard);
        if (revoked) Assert.True(await tokens.RevokeAsync(issued.Id, Actor));
        if (validFor is { } shortLived && shortLived < TimeSpan.FromSeconds(1))
            await Task.Delay(shortLived + TimeSpan.FromMilliseconds(50));
        return issued;
    }

    public static async Task RevokeAsync(string connectionString, Guid id)
    {
        await using var db = MigratedDatabase.OpenSession(connectionString);
        Assert.True(await new BootstrapTokenService(db, TimeProvider.System).RevokeAsync(id, Actor));
    }
}
