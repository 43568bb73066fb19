using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store;

/// <summary>
/// Appends entries to the hash-chained audit log inside the caller's transaction: each entry gets
/// the next sequence, links to the previous hash, and is hashed (and sealed when a key is set).
/// Every writer (resource changes, bootstrap tokens, fleet actions) holds the store's write lock
/// (<see cref="LockAsync"/>) from before it reads the head until it commits, so the chain never forks.
/// </summary>
internal sealed class AuditChainWriter
{
    private readonly MeshworkDbContext db;
    private readonly AuditSealer? sealer;
    private string previousHash;

    private AuditChainWriter(MeshworkDbContext db, AuditSealer? sealer, long sequence, string previousHash)
    {
        this.db = db;
        this.sealer = sealer;
        Sequence = sequence;
        this.previousHash = previousHash;
    }

    /// <summary>The sequence of the last entry appended (or of the head when none was).</summary>
    public long Sequence { get; private set; }

    /// <summary>
    /// pg_advisory_xact_lock on the store's write lock ("mesh"), held until the transaction ends.
    /// Writers of desired state and of the audit log take it, so they are serialized.
    /// </summary>
    public static async Task LockAsync(MeshworkDbContext db, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ResourceService.WriteLockKey})", ct);

    /// <summary>Reads the chain's head; call under <see cref="LockAsync"/>.</summary>
    public static async Task<AuditChainWriter> OpenAsync(MeshworkDbContext db, AuditSealer? sealer, CancellationToken ct)
    {
        var head = await db.AuditLog.AsNoTracking()
            .OrderByDescending(a => a.Sequence)
            .Select(a => new { a.Sequence, a.Hash })
            .FirstOrDefaultAsync(ct);
        return new AuditChainWriter(db, sealer, head?.Sequence ?? 0, head?.Hash ?? AuditHash.Genesis);
    }

    /// <summary>Adds <paramref name="entry"/> (its chain fields are filled in here) to the context; saved with the caller's changes.</summary>
    public AuditEntry Append(AuditEntry entry)
    {
        entry = entry with { Sequence = Sequence + 1, PreviousHash = previousHash, Hash = "", Seal = null };
        entry = entry with { Hash = AuditHash.Compute(entry) };
        if (sealer is { IsEnabled: true })
            entry = entry with { Seal = sealer.Seal(entry) };
        db.AuditLog.Add(entry);
        Sequence = entry.Sequence;
        previousHash = entry.Hash;
        return entry;
    }
}
