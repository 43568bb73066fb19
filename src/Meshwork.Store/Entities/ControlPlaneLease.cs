namespace Meshwork.Store.Entities;

/// <summary>
/// A named lease held by one control plane replica (table <c>control_plane_leases</c>), e.g. the
/// leader lease under which once-only work runs. Taken when free or expired, renewed by its holder.
/// </summary>
internal sealed class ControlPlaneLease
{
    public required string Name { get; set; }
    public required string Holder { get; set; }
    public DateTimeOffset AcquiredAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
