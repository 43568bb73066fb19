using Meshwork.Model.Resources;
using Microsoft.AspNetCore.Authorization;

namespace Meshwork.Portal.Identity;

/// <summary>
/// Authorization policies shared by the UI (cookie) and the REST API (bearer): one place says who
/// may do what, so a rule cannot differ between the two surfaces.
/// </summary>
public static class PortalPolicies
{
    public const string Read = "meshwork.read";
    public const string EditTraffic = "meshwork.edit-traffic";
    public const string Administer = "meshwork.administer";

    /// <summary>The policy a caller needs to create, change, delete or revert a resource of this kind.</summary>
    public static string WritePolicyFor(ResourceKind kind) => kind switch
    {
        ResourceKind.AccessPolicy or ResourceKind.MeshSettings => Administer,
        _ => EditTraffic,
    };

    /// <summary>The roles a policy admits; roles are cumulative (Admin ⊃ Operator ⊃ Viewer).</summary>
    public static IReadOnlyList<string> RolesFor(string policy) => policy switch
    {
        Read => [PortalRoles.Viewer, PortalRoles.Operator, PortalRoles.Admin],
        EditTraffic => [PortalRoles.Operator, PortalRoles.Admin],
        Administer => [PortalRoles.Admin],
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown policy"),
    };

    public static readonly IReadOnlyList<string> All = [Read, EditTraffic, Administer];

    /// <summary>
    /// Registers each policy twice with the same role rule: under its own name for the UI (the
    /// default cookie scheme) and under <see cref="Api"/> for the REST API (bearer tokens only, so a
    /// browser's cookie can never be replayed against the API: no CSRF surface).
    /// </summary>
    public static void Add(AuthorizationOptions options, string apiScheme)
    {
        foreach (var policy in All)
        {
            options.AddPolicy(policy, builder => builder.RequireAuthenticatedUser().RequireRole(RolesFor(policy)));
            options.AddPolicy(Api(policy), builder => builder
                .AddAuthenticationSchemes(apiScheme)
                .RequireAuthenticatedUser()
                .RequireRole(RolesFor(policy)));
        }
    }

    /// <summary>The bearer-token variant of a policy, used by /api endpoints.</summary>
    public static string Api(string policy) => "api:" + policy;
}
