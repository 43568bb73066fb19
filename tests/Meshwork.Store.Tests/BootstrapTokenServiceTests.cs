using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store.Tests;

public sealed class BootstrapTokenServiceTests : StoreDatabase
{
    [Fact]
    public async Task IssueAsync_NewToken_StoresOnlyTheHashOfTheSecret()
    {
        await using var db = OpenContext();

        var issued = await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("orders-fleet", "orders", "default", TimeSpan.FromHours(1), "alice");

        await using var check = OpenContext();
        var stored = await check.BootstrapTokens.SingleAsync();
        Assert.StartsWith("mwbt_", issued.Secret, StringComparison.Ordinal);
        Assert.Equal(BootstrapTokenService.Hash(issued.Secret), stored.SecretHash);
        Assert.DoesNotContain(issued.Secret, stored.SecretHash, StringComparison.Ordinal);
        Assert.Equal(("orders-fleet", "orders", "default", "alice", (DateTimeOffset?)null),
            (stored.Name, stored.Service, stored.Namespace, stored.CreatedBy, stored.RevokedAt));
        Assert.Equal(issued.ExpiresAt, stored.ExpiresAt, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task IssueAsync_TwoTokens_HaveDifferentSecrets()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(db, TimeProvider.System);

        var first = await tokens.IssueAsync("a", "orders", "default", TimeSpan.FromHours(1), "alice");
        var second = await tokens.IssueAsync("b", "orders", "default", TimeSpan.FromHours(1), "alice");

        Assert.NotEqual(first.Secret, second.Secret);
        Assert.Equal(["b", "a"], (await tokens.ListAsync()).Select(t => t.Name).ToList());
    }

    [Fact]
    public async Task RevokeAsync_Twice_KeepsTheFirstRevocationTime()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(db, TimeProvider.System);
        var issued = await tokens.IssueAsync("a", "orders", "default", TimeSpan.FromHours(1), "alice");

        Assert.True(await tokens.RevokeAsync(issued.Id));
        var firstRevocation = (await tokens.ListAsync()).Single().RevokedAt;
        Assert.True(await tokens.RevokeAsync(issued.Id));

        Assert.NotNull(firstRevocation);
        Assert.Equal(firstRevocation, (await tokens.ListAsync()).Single().RevokedAt);
        Assert.False(await tokens.RevokeAsync(Guid.NewGuid()));
    }
}
