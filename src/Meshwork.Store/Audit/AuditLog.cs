using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store;

/// <summary>Read side of the audit log: queries for people, and verification of the hash chain.</summary>
public sealed class AuditLog(StoreSession session, AuditSealer? sealer = null)
{
    private readonly MeshworkDbContext db = session.Context;

    /// <summary>Entries matching every given filter, newest first, paged by Skip/Take.</summary>
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await Filter(query)
            .OrderByDescending(a => a.Sequence)
            .Skip(Math.Max(0, query.Skip))
            .Take(Math.Clamp(query.Take, 0, 10_000))
            .ToListAsync(ct);
    }

    /// <summary>How many entries match the filters (Skip/Take ignored), for paging.</summary>
    public Task<int> CountAsync(AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Filter(query).CountAsync(ct);
    }

    /// <summary>
    /// The newest entry's sequence and hash (null while the log is empty). Record it outside the
    /// database (with a backup, in a ticket) and pass it to <see cref="VerifyChainAsync(ChainHead?, CancellationToken)"/>
    /// later: that also detects rows removed from the end, which the chain alone cannot.
    /// </summary>
    public async Task<ChainHead?> GetHeadAsync(CancellationToken ct = default) =>
        await db.AuditLog.AsNoTracking()
            .OrderByDescending(a => a.Sequence)
            .Select(a => new ChainHead(a.Sequence, a.Hash))
            .FirstOrDefaultAsync(ct);

    /// <summary>
    /// Walks the whole chain from the first row: sequences must be gapless from 1, each row must
    /// link to its predecessor's hash, and each hash must match the row's content.
    /// Removing rows from the very end is not detectable from the chain alone; compare the head
    /// hash with one recorded elsewhere for that.
    /// </summary>
    public Task<ChainVerification> VerifyChainAsync(CancellationToken ct = default) => VerifyChainAsync(anchor: null, ct);

    /// <summary>As <see cref="VerifyChainAsync(CancellationToken)"/>, and the chain must still contain <paramref name="anchor"/> unchanged.</summary>
    public async Task<ChainVerification> VerifyChainAsync(ChainHead? anchor, CancellationToken ct = default)
    {
        var expectedSequence = 1L;
        var previousHash = AuditHash.Genesis;
        var checkedCount = 0L;
        var seals = sealer is { IsEnabled: true } ? sealer : null;
        var unsealed = 0L;
        var sealingBegan = false;
        await foreach (var entry in db.AuditLog.AsNoTracking().OrderBy(a => a.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (entry.Sequence != expectedSequence)
                return ChainVerification.Broken(checkedCount, entry.Sequence,
                    $"sequence {expectedSequence} is missing before sequence {entry.Sequence}");
            if (entry.PreviousHash != previousHash)
                return ChainVerification.Broken(checkedCount, entry.Sequence,
                    $"previous_hash does not match the hash of sequence {entry.Sequence - 1}");
            if (AuditHash.Compute(entry) != entry.Hash)
                return ChainVerification.Broken(checkedCount, entry.Sequence,
                    "the row's content does not match its hash: it was changed after it was written");
            if (anchor is not null && entry.Sequence == anchor.Sequence && entry.Hash != anchor.Hash)
                return ChainVerification.Broken(checkedCount, entry.Sequence,
                    "the row's hash differs from the recorded head: the log was rewritten from here on");
            if (seals is not null)
            {
                if (entry.Seal is null && sealingBegan)
                    return ChainVerification.Broken(checkedCount, entry.Sequence,
                        "the row carries no seal though earlier rows do: it was written or rewritten without the audit seal key") with { SealsChecked = true };
                if (entry.Seal is null)
                    unsealed++;
                else if (!seals.IsSealedCorrectly(entry))
                    return ChainVerification.Broken(checkedCount, entry.Sequence,
                        "the row's seal does not match its hash: it was rewritten by someone without the audit seal key") with { SealsChecked = true };
                else
                    sealingBegan = true;
            }
            previousHash = entry.Hash;
            expectedSequence++;
            checkedCount++;
        }
        if (anchor is not null && anchor.Sequence >= expectedSequence)
            return ChainVerification.Broken(checkedCount, expectedSequence,
                $"the log ends before the recorded head (sequence {anchor.Sequence}): rows were removed from the end");
        return ChainVerification.Intact(checkedCount) with { SealsChecked = seals is not null, UnsealedEntries = unsealed };
    }

    private IQueryable<AuditEntry> Filter(AuditQuery query)
    {
        var entries = db.AuditLog.AsNoTracking();
        if (query.Actor is not null)
            entries = entries.Where(a => a.Actor == query.Actor);
        if (query.Source is { } source)
            entries = entries.Where(a => a.Source == source);
        if (query.Kind is { } kind)
            entries = entries.Where(a => a.Kind == kind);
        if (query.Namespace is not null)
            entries = entries.Where(a => a.Namespace == query.Namespace);
        if (query.Name is not null)
            entries = entries.Where(a => a.Name == query.Name);
        if (query.Action is { } action)
            entries = entries.Where(a => a.Action == action);
        if (query.From is { } from)
            entries = entries.Where(a => a.At >= from.ToUniversalTime());
        if (query.To is { } to)
            entries = entries.Where(a => a.At < to.ToUniversalTime());
        return entries;
    }
}
