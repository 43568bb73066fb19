namespace Meshwork.Store;

/// <summary>
/// Result of walking the audit chain. When broken, <see cref="FirstBrokenSequence"/> names the
/// first row whose content, hash or link does not match and <see cref="Reason"/> says how.
/// </summary>
public sealed record ChainVerification(bool IsIntact, long EntriesChecked, long? FirstBrokenSequence, string? Reason)
{
    /// <summary>Whether seals were checked (an audit seal key is configured), see <see cref="AuditSealer"/>.</summary>
    public bool SealsChecked { get; init; }

    /// <summary>With seals checked: the rows at the start of the log that carry none (written before a key was configured).</summary>
    public long UnsealedEntries { get; init; }

    public static ChainVerification Intact(long entriesChecked) => new(true, entriesChecked, null, null);

    public static ChainVerification Broken(long entriesChecked, long sequence, string reason) =>
        new(false, entriesChecked, sequence, reason);
}
