using System.Security.Claims;
using Meshwork.Portal.Hosting;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Identity;

/// <summary>
/// The authentication state of an open tab (a Blazor Server circuit lives for hours on the identity
/// its cookie had when it started). Every <see cref="SessionOptions.RevalidationInterval"/> it checks
/// the person's security stamp, as the ASP.NET Core Blazor template with Identity does: a role change,
/// a lockout or a deletion changes or removes the stamp, the circuit turns anonymous, every page
/// (all behind [Authorize]) is replaced by the sign-in redirect and live subscriptions end with them.
/// </summary>
public sealed class PortalRevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopes,
    IOptions<IdentityOptions> identity,
    IOptions<PortalOptions> portal)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => portal.Value.Sessions.RevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        // The circuit outlives any request scope: each check gets its own (and its own DbContext).
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await IsCurrentAsync(users, state.User);
    }

    private async Task<bool> IsCurrentAsync(UserManager<PortalUser> users, ClaimsPrincipal principal)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
            return false;
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp is not null && stamp == await users.GetSecurityStampAsync(user);
    }
}
