namespace Meshwork.Portal.Identity;

/// <summary>
/// The three portal roles. Each includes the rights of the one before it: an Operator can read,
/// an Admin can do everything an Operator can.
/// </summary>
public static class PortalRoles
{
    /// <summary>Reads everything: resources, topology, audit.</summary>
    public const string Viewer = "Viewer";

    /// <summary>Edits traffic (services, routes, resilience), promotes and aborts rollouts, taps.</summary>
    public const string Operator = "Operator";

    /// <summary>Users, API clients, access policies and mesh settings.</summary>
    public const string Admin = "Admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
