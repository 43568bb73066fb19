using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Npgsql;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

public sealed class AuditLogTests : StoreDatabase
{
    [Fact]
    public async Task QueryAsync_AfterCreateUpdateDelete_HasExactlyOneEntryPerChangeWithBeforeAndAfter()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        var created = (ChangeResult.Applied)await service.ApplyAsync(Checkout(), Alice);
        var updated = (ChangeResult.Applied)await service.ApplyAsync(Checkout(version: 1, description: "edited"), Bob);
        await service.DeleteAsync(Checkout().Key, 2, Alice);

        var entries = (await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery())).OrderBy(e => e.Sequence).ToList();

        Assert.Equal(
            [(1L, ChangeAction.Create, "alice", ChangeSource.Portal, (long?)null, (long?)1L),
             (2L, ChangeAction.Update, "bob", ChangeSource.Api, 1L, 2L),
             (3L, ChangeAction.Delete, "alice", ChangeSource.Portal, 2L, null)],
            entries.Select(e => (e.Sequence, e.Action, e.Actor, e.Source, e.VersionBefore, e.VersionAfter)).ToList());
        Assert.All(entries, e => Assert.Equal(Checkout().Key, e.Key));
        var v1 = MeshworkJson.Canonical(created.Resources[0].Resource);
        var v2 = MeshworkJson.Canonical(updated.Resources[0].Resource);
        Assert.Null(entries[0].BeforeJson);
        Assert.Equal(v1, Canonical(entries[0].AfterJson));
        Assert.Equal((v1, v2), (Canonical(entries[1].BeforeJson), Canonical(entries[1].AfterJson)));
        Assert.Equal(v2, Canonical(entries[2].BeforeJson));
        Assert.Null(entries[2].AfterJson);
    }

    [Fact]
    public async Task QueryAsync_FilterByActorAndName_ReturnsNewestFirstPaged()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(CheckoutRoute(10), Bob);
        await service.ApplyAsync(CheckoutRoute(20, version: 1), Bob);
        await service.ApplyAsync(CheckoutRoute(30, version: 2), Bob);
        var log = new AuditLog(new StoreSession(db));

        var bobs = await log.QueryAsync(new AuditQuery { Actor = "bob", Name = "checkout-route", Skip = 1, Take = 2 });
        var future = await log.QueryAsync(new AuditQuery { From = DateTimeOffset.UtcNow.AddMinutes(1) });

        Assert.Equal([3L, 2L], bobs.Select(e => e.Sequence).ToList());
        Assert.Empty(future);
    }

    [Fact]
    public async Task VerifyChainAsync_UntouchedLog_IsIntact()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyManyAsync([CheckoutRoute(10), Checkout(version: 1, description: "x")], Bob);

        var verification = await new AuditLog(new StoreSession(db)).VerifyChainAsync();

        Assert.Equal(ChainVerification.Intact(3), verification);
    }

    [Fact]
    public async Task VerifyChainAsync_RowEditedWithRawSql_ReportsThatRow()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.ApplyAsync(Checkout(version: 2, description: "three"), Alice);

        // A database owner can switch the append-only trigger off; the chain still tells.
        await ExecuteAsync("""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE audit_log SET actor = 'mallory' WHERE sequence = 2;
            """);
        var verification = await new AuditLog(new StoreSession(db)).VerifyChainAsync();

        Assert.False(verification.IsIntact);
        Assert.Equal(2, verification.FirstBrokenSequence);
        Assert.Equal("the row's content does not match its hash: it was changed after it was written", verification.Reason);
    }

    [Fact]
    public async Task Reason_IsKeptAndHashed_RowsWithoutOneHashAsBefore()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "imported"), Bob with { Reason = "import of checkout.yaml" });

        var entries = (await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery())).OrderBy(e => e.Sequence).ToList();
        Assert.Equal([null, "import of checkout.yaml"], entries.Select(e => e.Reason).ToList());
        Assert.Equal(ChainVerification.Intact(2), await new AuditLog(new StoreSession(db)).VerifyChainAsync());
        // The reason is part of the hash: changing it breaks the chain at that row.
        await ExecuteAsync("""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE audit_log SET reason = 'typed by hand' WHERE sequence = 2;
            """);
        Assert.Equal(2, (await new AuditLog(new StoreSession(db)).VerifyChainAsync()).FirstBrokenSequence);
    }

    [Fact]
    public async Task VerifyChainAsync_RowDeletedWithRawSql_ReportsTheGap()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.ApplyAsync(Checkout(version: 2, description: "three"), Alice);

        await ExecuteAsync("""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            DELETE FROM audit_log WHERE sequence = 2;
            """);
        var verification = await new AuditLog(new StoreSession(db)).VerifyChainAsync();

        Assert.Equal(ChainVerification.Broken(1, 3, "sequence 2 is missing before sequence 3"), verification);
    }

    [Fact]
    public async Task VerifyChainAsync_RowRehashedAfterEdit_ReportsBrokenLinkOnNextRow()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.ApplyAsync(Checkout(version: 2, description: "three"), Alice);
        var second = (await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery())).Single(e => e.Sequence == 2);
        var forged = second with { Actor = "mallory" };
        forged = forged with { Hash = AuditHash.Compute(forged) };

        await ExecuteAsync($"""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE audit_log SET actor = 'mallory', hash = '{forged.Hash}' WHERE sequence = 2;
            """);
        var verification = await new AuditLog(new StoreSession(db)).VerifyChainAsync();

        Assert.Equal(ChainVerification.Broken(2, 3, "previous_hash does not match the hash of sequence 2"), verification);
    }

    [Fact]
    public async Task VerifyChainAsync_LastRowsRemovedAfterHeadWasRecorded_ReportsTruncation()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.ApplyAsync(Checkout(version: 2, description: "three"), Alice);
        var log = new AuditLog(new StoreSession(db));
        var head = await log.GetHeadAsync();

        await ExecuteAsync("""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            DELETE FROM audit_log WHERE sequence = 3;
            """);

        Assert.True((await log.VerifyChainAsync()).IsIntact); // the chain alone cannot tell
        Assert.Equal(
            ChainVerification.Broken(2, 3, "the log ends before the recorded head (sequence 3): rows were removed from the end"),
            await log.VerifyChainAsync(head));
    }

    [Fact]
    public async Task VerifyChainAsync_RecordedHeadStillPresent_IsIntactWithLaterRows()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        var log = new AuditLog(new StoreSession(db));
        var head = await log.GetHeadAsync();
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);

        Assert.Equal(new ChainHead(1, head!.Hash), head);
        Assert.Equal(ChainVerification.Intact(2), await log.VerifyChainAsync(head));
    }

    [Fact]
    public async Task CountAsync_FilterByKind_CountsAllMatchesIgnoringPaging()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(CheckoutRoute(10), Bob);
        await service.ApplyAsync(CheckoutRoute(20, version: 1), Bob);

        var count = await new AuditLog(new StoreSession(db)).CountAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Take = 1 });

        Assert.Equal(2, count);
    }

    [Fact]
    public async Task AuditLogTable_UpdateWithTriggerEnabled_IsRefused()
    {
        await using var db = OpenContext();
        await ServiceOver(db).ApplyAsync(Checkout(), Alice);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("UPDATE audit_log SET actor = 'mallory'"));

        Assert.Equal("audit_log is append-only: UPDATE is not allowed", error.MessageText);
    }

    private static string? Canonical(string? json) => json is null ? null : MeshworkJson.Canonical(MeshworkJson.Deserialize(json));
}
