using System.Security.Claims;
using Meshwork.Store;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Meshwork.Portal.Api;

/// <summary>Who is calling the API, for the audit log: the token's name (a user's e-mail or a client id).</summary>
public static class ApiActor
{
    /// <summary>meshctl sends this header so its changes show as CLI in the audit log (a label, not a credential).</summary>
    public const string ClientHeader = "Meshwork-Client";

    public static ChangeActor From(HttpContext context)
    {
        var user = context.User;
        var name = user.FindFirstValue(Claims.Name) ?? user.FindFirstValue(Claims.Subject) ?? user.Identity?.Name ?? "unknown";
        var source = string.Equals(context.Request.Headers[ClientHeader].ToString(), "meshctl", StringComparison.OrdinalIgnoreCase)
            ? ChangeSource.Cli
            : ChangeSource.Api;
        return new ChangeActor(name, source);
    }
}
