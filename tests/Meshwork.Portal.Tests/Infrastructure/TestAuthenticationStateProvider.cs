using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace Meshwork.Portal.Tests.Infrastructure;

/// <summary>A circuit's signed-in person, as the cookie would give it: e-mail name claim and an Identity role.</summary>
public sealed class TestAuthenticationStateProvider(string email, params string[] roles) : AuthenticationStateProvider
{
    public ClaimsPrincipal User { get; } = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, email), new Claim(ClaimTypes.Email, email), new Claim(ClaimTypes.NameIdentifier, email),
            .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
        authenticationType: "Identity.Application"));

    public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(User));
}
