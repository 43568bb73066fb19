namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// What this replica still has to write to the shared registry: registrations that replace the
/// stored row (a proxy's Hello), changes to rows this replica holds (health), and removals (Goodbye).
/// </summary>
public sealed record PendingRegistryWrites(
    IReadOnlyList<RegisteredInstance> Registrations,
    IReadOnlyList<RegisteredInstance> Updates,
    IReadOnlyList<(string ProxyId, Guid ConnectionId)> Removals)
{
    public bool IsEmpty => Registrations.Count == 0 && Updates.Count == 0 && Removals.Count == 0;
}
