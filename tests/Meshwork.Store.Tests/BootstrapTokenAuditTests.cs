using Microsoft.Extensions.Options;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

/// <summary>
/// Issuing and revoking a bootstrap token are audited in the same hash-chained (and sealed) log as
/// resource changes: who, when, which scope, never the secret or its hash.
/// </summary>
public sealed class BootstrapTokenAuditTests : StoreDatabase
{
    private static readonly AuditSealer Sealer = AuditSealer.FromSecret("test-audit-seal-key-0123456789abcdef");

    [Fact]
    public async Task IssueAndRevoke_EachLeaveOneSealedEntryWithoutTheSecret_BetweenResourceChanges_ChainVerifies()
    {
        await using var db = OpenContext();
        var resources = new ResourceService(new StoreSession(db), TimeProvider.System, Sealer);
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System, Options.Create(new BootstrapTokenOptions()), Sealer);
        await resources.ApplyAsync(Checkout(), Alice);

        var issued = await tokens.IssueAsync("orders-join", "orders", "shop", TimeSpan.FromMinutes(30), Alice);
        Assert.True(await tokens.RevokeAsync(issued.Id, Bob));
        Assert.True(await tokens.RevokeAsync(issued.Id, Bob)); // revoked already: nothing changes, nothing audited
        await resources.ApplyAsync(Checkout(version: 1, description: "after the token"), Alice);

        var entries = (await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery())).OrderBy(e => e.Sequence).ToList();
        Assert.Equal([ChangeAction.Create, ChangeAction.Issue, ChangeAction.Revoke, ChangeAction.Update], entries.Select(e => e.Action).ToList());
        var (issue, revoke) = (entries[1], entries[2]);
        Assert.Equal(("alice", ChangeSource.Portal, null, "BootstrapToken/shop/orders-join"), (issue.Actor, issue.Source, issue.Kind, issue.Subject));
        Assert.Equal(("bob", ChangeSource.Api, "BootstrapToken/shop/orders-join"), (revoke.Actor, revoke.Source, revoke.Subject));
        Assert.Null(issue.BeforeJson);
        Assert.Contains($"\"id\":\"{issued.Id}\"", issue.AfterJson);
        Assert.Contains("\"namespace\":\"shop\",\"service\":\"orders\",\"wildcard\":false", issue.AfterJson);
        Assert.Contains("\"revokedAt\":null", issue.AfterJson);
        Assert.Equal(issue.AfterJson, revoke.BeforeJson);
        Assert.DoesNotContain("\"revokedAt\":null", revoke.AfterJson);
        var secretHash = BootstrapTokenService.Hash(issued.Secret);
        Assert.All(entries, e =>
        {
            Assert.DoesNotContain(issued.Secret, e.AfterJson ?? "");
            Assert.DoesNotContain(secretHash, e.AfterJson ?? "");
            Assert.DoesNotContain(secretHash, e.BeforeJson ?? "");
        });
        Assert.Equal(ChainVerification.Intact(4) with { SealsChecked = true }, await new AuditLog(new StoreSession(db), Sealer).VerifyChainAsync());
    }

    [Fact]
    public async Task TokenEntryEditedWithRawSql_ChainReportsThatRow()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);
        await tokens.IssueAsync("orders-join", "orders", "shop", null, Alice);
        await tokens.IssueAsync("payments-join", "payments", "shop", null, Alice);

        await ExecuteAsync("""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE audit_log SET namespace = 'default' WHERE sequence = 1;
            """);

        Assert.Equal(ChainVerification.Broken(0, 1, "the row's content does not match its hash: it was changed after it was written"),
            await new AuditLog(new StoreSession(db)).VerifyChainAsync());
    }

    [Fact]
    public async Task IssueRefused_WritesNoAuditEntry()
    {
        await using var db = OpenContext();
        var tokens = new BootstrapTokenService(new StoreSession(db), TimeProvider.System);

        await Assert.ThrowsAsync<BootstrapTokenRequestException>(() => tokens.IssueAsync("any", "*", "shop", null, Alice));

        Assert.Empty(await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery()));
    }
}
