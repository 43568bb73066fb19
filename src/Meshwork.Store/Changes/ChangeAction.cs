namespace Meshwork.Store;

/// <summary>What a change did; one per audit entry (and, for resources, per revision).</summary>
public enum ChangeAction
{
    Create,
    Update,
    Delete,
    Revert,

    /// <summary>A bootstrap token was issued (audit only; the entry has no resource kind).</summary>
    Issue,

    /// <summary>A bootstrap token was revoked (audit only; the entry has no resource kind).</summary>
    Revoke,
}
