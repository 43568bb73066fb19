using System.Security.Claims;
using Meshwork.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace Meshwork.Portal.ViewModels;

/// <summary>The signed-in person of this circuit: their audit identity and what the shared policies allow them.</summary>
public sealed class CurrentUser(AuthenticationStateProvider authentication, IAuthorizationService authorization)
{
    public async Task<ClaimsPrincipal> PrincipalAsync() => (await authentication.GetAuthenticationStateAsync()).User;

    public async Task<ChangeActor> ActorAsync()
    {
        var user = await PrincipalAsync();
        var name = user.FindFirstValue(ClaimTypes.Email) ?? user.Identity?.Name
            ?? throw new InvalidOperationException("No signed-in user: the page should not have rendered.");
        return new ChangeActor(name, ChangeSource.Portal);
    }

    public async Task<string?> UserIdAsync() => (await PrincipalAsync()).FindFirstValue(ClaimTypes.NameIdentifier);

    public async Task<bool> CanAsync(string policy) => (await authorization.AuthorizeAsync(await PrincipalAsync(), policy)).Succeeded;
}
