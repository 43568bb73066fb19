using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

/// <summary>
/// The audit seal: a database owner can switch the append-only trigger off, rewrite a row and re-hash
/// every row after it, and the hash chain alone still verifies. Without the seal key (held outside the
/// database) they cannot re-seal, so verification with the key names the rewritten row.
/// </summary>
public sealed class AuditSealTests : StoreDatabase
{
    private static readonly AuditSealer Sealer = AuditSealer.FromSecret("test-audit-seal-key-0123456789abcdef");

    [Fact]
    public async Task WholeChainRehashedAfterAnEdit_ChainAloneIntact_SealsNameTheRewrittenRow()
    {
        await using var db = OpenContext();
        await ApplyThreeChangesAsync(new ResourceService(new StoreSession(db), TimeProvider.System, Sealer));
        var entries = (await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery())).OrderBy(e => e.Sequence).ToList();
        Assert.All(entries, e => Assert.True(Sealer.IsSealedCorrectly(e)));

        // The owner's forgery: row 2 names someone else, rows 2 and 3 re-hashed so every link holds.
        var second = entries[1] with { Actor = "mallory" };
        second = second with { Hash = AuditHash.Compute(second) };
        var third = entries[2] with { PreviousHash = second.Hash };
        third = third with { Hash = AuditHash.Compute(third) };
        await ExecuteAsync($"""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE audit_log SET actor = 'mallory', hash = '{second.Hash}' WHERE sequence = 2;
            UPDATE audit_log SET previous_hash = '{second.Hash}', hash = '{third.Hash}' WHERE sequence = 3;
            """);

        Assert.Equal(ChainVerification.Intact(3), await new AuditLog(new StoreSession(db)).VerifyChainAsync());
        Assert.Equal(
            ChainVerification.Broken(1, 2, "the row's seal does not match its hash: it was rewritten by someone without the audit seal key") with { SealsChecked = true },
            await new AuditLog(new StoreSession(db), Sealer).VerifyChainAsync());
    }

    [Fact]
    public async Task SealsRemovedFromLaterRows_ReportsTheFirstUnsealedRow()
    {
        await using var db = OpenContext();
        await ApplyThreeChangesAsync(new ResourceService(new StoreSession(db), TimeProvider.System, Sealer));

        await ExecuteAsync("""
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE audit_log SET seal = NULL WHERE sequence >= 2;
            """);

        Assert.Equal(
            ChainVerification.Broken(1, 2, "the row carries no seal though earlier rows do: it was written or rewritten without the audit seal key") with { SealsChecked = true },
            await new AuditLog(new StoreSession(db), Sealer).VerifyChainAsync());
    }

    [Fact]
    public async Task RowsWrittenBeforeAKeyWasConfigured_IntactAndCountedAsUnsealed()
    {
        await using var db = OpenContext();
        await new ResourceService(new StoreSession(db), TimeProvider.System).ApplyAsync(Checkout(), Alice);
        var sealedService = new ResourceService(new StoreSession(db), TimeProvider.System, Sealer);
        await sealedService.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await sealedService.ApplyAsync(Checkout(version: 2, description: "three"), Alice);

        Assert.Equal(ChainVerification.Intact(3) with { SealsChecked = true, UnsealedEntries = 1 }, await new AuditLog(new StoreSession(db), Sealer).VerifyChainAsync());
    }

    [Fact]
    public async Task AnotherKey_SealsDoNotMatch()
    {
        await using var db = OpenContext();
        await ApplyThreeChangesAsync(new ResourceService(new StoreSession(db), TimeProvider.System, Sealer));

        var verification = await new AuditLog(new StoreSession(db), AuditSealer.FromSecret("another-audit-seal-key-0123456789abcdef")).VerifyChainAsync();

        Assert.False(verification.IsIntact);
        Assert.Equal(1, verification.FirstBrokenSequence);
    }

    [Fact]
    public void FromSecret_ShortKey_RefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => AuditSealer.FromSecret("too-short"));

        Assert.StartsWith("Audit:SealKey must be at least 32 characters (for example `openssl rand -base64 32`); it is 9.", error.Message);
        Assert.False(AuditSealer.FromSecret(null).IsEnabled);
    }

    private static async Task ApplyThreeChangesAsync(ResourceService service)
    {
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.ApplyAsync(Checkout(version: 2, description: "three"), Alice);
    }
}
