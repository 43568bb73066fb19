using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Meshwork.Portal.Identity;

/// <summary>
/// The passthrough endpoints of the OpenIddict server. OpenIddict validates the protocol (client,
/// PKCE, redirect URI, grant); these handlers decide who the token is for and which roles it carries.
/// </summary>
public static class OidcEndpoints
{
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";

    /// <summary>
    /// A person's security stamp when the token was issued; <see cref="AccessTokenSessionCheck"/> compares it
    /// with the stored one on every API request. Access tokens are encrypted, so the client cannot read it.
    /// </summary>
    public const string SecurityStampClaim = "meshwork_stamp";

    public static IEndpointRouteBuilder MapOidcEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(AuthorizePath, ["GET", "POST"], AuthorizeAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        app.MapPost(TokenPath, TokenAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    /// <summary>
    /// Authorization code + PKCE for browser and native apps: the person signs in to the portal
    /// (cookie), and the code is issued for them. Clients are registered by admins, so consent is implicit.
    /// </summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext context, UserManager<PortalUser> users)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");
        var cookie = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (!cookie.Succeeded || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
                return Forbid(Errors.LoginRequired, "The user is not signed in.");
            var query = context.Request.HasFormContentType
                ? QueryString.Create(context.Request.Form.Select(p => KeyValuePair.Create(p.Key, p.Value)))
                : context.Request.QueryString;
            return Results.Challenge(new AuthenticationProperties { RedirectUri = context.Request.PathBase + context.Request.Path + query },
                [IdentityConstants.ApplicationScheme]);
        }

        var user = await users.GetUserAsync(cookie.Principal);
        if (user is null)
            return Forbid(Errors.LoginRequired, "The signed-in account no longer exists.");
        var principal = await UserPrincipalAsync(users, user);
        principal.SetScopes(request.GetScopes());
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> TokenAsync(HttpContext context, UserManager<PortalUser> users, SignInManager<PortalUser> signIn,
        ApiClientService clients)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenID Connect request cannot be retrieved.");

        if (request.IsClientCredentialsGrantType())
        {
            // OpenIddict has already authenticated the client (id + secret).
            var clientId = request.ClientId!;
            var role = await clients.FindRoleAsync(clientId, context.RequestAborted);
            if (role is null)
                return Forbid(Errors.UnauthorizedClient, "This client has no portal role.");
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, clientId);
            identity.SetClaim(Claims.Name, clientId);
            identity.SetClaims(Claims.Role, [role]);
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            var principal = new ClaimsPrincipal(identity);
            principal.SetScopes(request.GetScopes());
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var subject = result.Principal?.GetClaim(Claims.Subject);
            var user = subject is null ? null : await users.FindByIdAsync(subject);
            if (user is null || !await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user))
                return Forbid(Errors.InvalidGrant, "The account is no longer allowed to sign in.");
            // Roles are read again now, so a demoted user's refreshed token carries the new role.
            var principal = await UserPrincipalAsync(users, user);
            principal.SetScopes(result.Principal!.GetScopes());
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Forbid(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    private static async Task<ClaimsPrincipal> UserPrincipalAsync(UserManager<PortalUser> users, PortalUser user)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id);
        identity.SetClaim(Claims.Name, user.Email ?? user.UserName);
        identity.SetClaim(Claims.Email, user.Email);
        // Relying parties (another portal's single sign-on) link accounts only on a verified e-mail.
        identity.AddClaim(new Claim(Claims.EmailVerified, user.EmailConfirmed ? "true" : "false", ClaimValueTypes.Boolean));
        identity.SetClaims(Claims.Role, [.. await users.GetRolesAsync(user)]);
        identity.SetClaim(SecurityStampClaim, await users.GetSecurityStampAsync(user));
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Subject or Claims.Name or Claims.Email or Claims.EmailVerified or Claims.Role => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [Destinations.AccessToken],
        });
        return new ClaimsPrincipal(identity);
    }

    private static IResult Forbid(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
