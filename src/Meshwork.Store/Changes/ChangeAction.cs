namespace Meshwork.Store;

/// <summary>What a change did to a resource; one per audit entry and revision.</summary>
public enum ChangeAction
{
    Create,
    Update,
    Delete,
    Revert,
}
