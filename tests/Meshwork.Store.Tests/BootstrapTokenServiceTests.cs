using static Meshwork.Store.Tests.TestResources;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store.Tests;

public sealed class BootstrapTokenServiceTests : StoreDatabase
{
    [Fact]
    public async Task IssueAsync_NewToken_StoresOnlyTheHashOfTheSecret()
    {
        await using var db = OpenContext();

        var issued = await new BootstrapTokenService(new StoreSession(db), TimeProvider.System).IssueAsync("orders-fleet", "orders", "default", TimeSpan.FromHours(1), Alice);

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
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);

        var first = await tokens.IssueAsync("a", "orders", "default", TimeSpan.FromHours(1), Alice);
        var second = await tokens.IssueAsync("b", "orders", "default", TimeSpan.FromHours(1), Alice);

        Assert.NotEqual(first.Secret, second.Secret);
        Assert.Equal(["b", "a"], (await tokens.ListAsync()).Select(t => t.Name).ToList());
    }

    [Fact]
    public async Task RevokeAsync_Twice_KeepsTheFirstRevocationTime()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);
        var issued = await tokens.IssueAsync("a", "orders", "default", TimeSpan.FromHours(1), Alice);

        Assert.True(await tokens.RevokeAsync(issued.Id, Alice));
        var firstRevocation = (await tokens.ListAsync()).Single().RevokedAt;
        Assert.True(await tokens.RevokeAsync(issued.Id, Alice));

        Assert.NotNull(firstRevocation);
        Assert.Equal(firstRevocation, (await tokens.ListAsync()).Single().RevokedAt);
        Assert.False(await tokens.RevokeAsync(Guid.NewGuid(), Alice));
    }

    public static TheoryData<string, string, string, bool, string> Refused => new()
    {
        { "orders", "*", "default", false, "namespace: '*' admits any" },
        { "*", "orders", "default", false, "service: '*' admits any" },
        { "orders", "meshwork-system", "default", true, "namespace: 'meshwork-system' is the control plane's own identity" },
        { "*", "meshwork-system", "default", true, "namespace: 'meshwork-system'" },
        { "Orders", "default", "default", false, "service: 'Orders' is not a valid name" },
        { "orders", "de fault", "default", false, "namespace: 'de fault' is not a valid name" },
        { "orders", "default", "", false, "name: is required" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task IssueAsync_UnacceptableScope_IsRefusedNamingTheFieldAndStoresNothing(string service, string ns, string name, bool wildcard, string error)
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);

        var refused = await Assert.ThrowsAsync<BootstrapTokenRequestException>(() => tokens.IssueAsync(name, service, ns, null, Alice, wildcard));

        Assert.Contains(error, refused.Message);
        Assert.Empty(await tokens.ListAsync());
    }

    [Fact]
    public async Task IssueAsync_WithoutLifetime_LastsTheDefaultHour_AndLongerThanTheMaximumIsRefused()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);

        var issued = await tokens.IssueAsync("join", "orders", "default", null, Alice);
        var tooLong = await Assert.ThrowsAsync<BootstrapTokenRequestException>(() =>
            tokens.IssueAsync("long", "orders", "default", TimeSpan.FromDays(30), Alice));

        Assert.InRange(issued.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.Contains("validFor: is 30.00:00:00 (at most 1.00:00:00", tooLong.Message);
        Assert.False(issued.IsWildcard);
    }

    [Fact]
    public async Task IssueAsync_ExplicitWildcard_IsIssuedAndMarkedAsSuch()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);

        var issued = await tokens.IssueAsync("fleet", "*", "default", TimeSpan.FromMinutes(10), Alice, allowWildcard: true);

        Assert.True(issued.IsWildcard);
        Assert.True(BootstrapTokenService.IsWildcard((await tokens.ListAsync()).Single()));
    }
}
