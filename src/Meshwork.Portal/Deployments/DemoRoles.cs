namespace Meshwork.Portal.Deployments;

/// <summary>
/// The roles the Meshwork.DemoApps binary can run as (its Program.cs; the shop's are ShopApp.Roles).
/// A shop service runs as its own role; any other service name runs the plain echo backend.
/// </summary>
public static class DemoRoles
{
    public const string Backend = "backend";

    public static readonly IReadOnlyList<string> Shop = ["frontend", "catalog", "pricing", "reviews", "ratings"];

    public static readonly IReadOnlyList<string> All = [Backend, .. Shop];

    public static string For(string service) => Shop.Contains(service) ? service : Backend;
}
