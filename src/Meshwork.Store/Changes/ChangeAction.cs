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

    /// <summary>A deployed process was started by an operator (audit only: the portal's Fleet page; no resource kind).</summary>
    Start,

    /// <summary>A deployed process was stopped by an operator (audit only).</summary>
    Stop,

    /// <summary>A deployed process was restarted by an operator (audit only).</summary>
    Restart,

    /// <summary>A service version's instance count was changed (audit only).</summary>
    Scale,

    /// <summary>A new version of a service was deployed (audit only).</summary>
    Deploy,

    /// <summary>The demo traffic generator's rate or mix was changed from the Fleet page (audit only).</summary>
    SetTraffic,
}
