using System.Security.Claims;
using Meshwork.Portal.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Identity;

/// <summary>Sign-out and corporate single sign-on (with its explicit link step). Sign-in with a password is the Login page (a form with antiforgery).</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription();

        // A form post: the antiforgery token is required (UseAntiforgery validates [FromForm] endpoints).
        account.MapPost("/logout", async ([FromForm] string? returnUrl, SignInManager<PortalUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.LocalRedirect("/account/login");
        }).AllowAnonymous();

        account.MapGet("/external-login", (HttpContext context, SignInManager<PortalUser> signIn, string? returnUrl) =>
        {
            var redirect = "/account/external-callback?returnUrl=" + Uri.EscapeDataString(SafeReturnUrl(returnUrl));
            var properties = signIn.ConfigureExternalAuthenticationProperties(PortalIdentitySetup.ExternalScheme, redirect);
            return Results.Challenge(properties, [PortalIdentitySetup.ExternalScheme]);
        }).AllowAnonymous();

        account.MapGet("/external-callback", ExternalCallbackAsync).AllowAnonymous();
        account.MapPost("/link-external", LinkExternalAsync).RequireAuthorization();
        return app;
    }

    public const string LinkPagePath = "/account/link-external";

    /// <summary>
    /// The provider vouched for the person. Already linked: Identity's external sign-in, which refuses
    /// a locked-out account. Not linked, and no local account has the provider's verified e-mail: a new
    /// account with the configured default role. A local account with that e-mail exists: never linked
    /// here (owning a mailbox name at the provider does not prove owning the local account); the person
    /// signs in with the local password and confirms the link (<see cref="LinkPagePath"/>).
    /// </summary>
    private static async Task<IResult> ExternalCallbackAsync(string? returnUrl, SignInManager<PortalUser> signIn,
        UserManager<PortalUser> users, IOptions<PortalOptions> options, ILogger<PortalUser> logger)
    {
        var info = await signIn.GetExternalLoginInfoAsync();
        if (info is null)
            return LoginWithError("external");
        var target = SafeReturnUrl(returnUrl);
        var result = await signIn.ExternalLoginSignInAsync(info.LoginProvider, info.ProviderKey, isPersistent: false, bypassTwoFactor: true);
        if (result.Succeeded)
            return Results.LocalRedirect(target);
        if (result.IsLockedOut)
            return LoginWithError("locked");
        if (await users.FindByLoginAsync(info.LoginProvider, info.ProviderKey) is not null)
            return LoginWithError("external"); // linked, but Identity refused the sign-in for another reason

        var email = info.Principal.FindFirstValue(ClaimTypes.Email);
        if (string.IsNullOrEmpty(email))
            return LoginWithError("external-email");
        if (!HasVerifiedEmail(info.Principal))
            return LoginWithError("external-unverified");

        if (await users.FindByEmailAsync(email) is not null)
        {
            logger.LogInformation("Single sign-on for {Email} matches a local account; linking needs its password and a confirmation", email);
            // The external cookie (5 minutes) keeps the provider's identity until the person confirms.
            var link = LinkPagePath + "?returnUrl=" + Uri.EscapeDataString(target);
            return Results.LocalRedirect("/account/login?error=external-link&returnUrl=" + Uri.EscapeDataString(link));
        }

        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, LockoutEnabled = true };
        var created = await users.CreateAsync(user);
        if (!created.Succeeded || !(await users.AddToRoleAsync(user, options.Value.ExternalOidc.DefaultRole)).Succeeded
            || !(await users.AddLoginAsync(user, info)).Succeeded)
            return LoginWithError("external");
        logger.LogInformation("Created {Email} from single sign-on with role {Role}", email, options.Value.ExternalOidc.DefaultRole);
        result = await signIn.ExternalLoginSignInAsync(info.LoginProvider, info.ProviderKey, isPersistent: false, bypassTwoFactor: true);
        return result.Succeeded ? Results.LocalRedirect(target) : LoginWithError(result.IsLockedOut ? "locked" : "external");
    }

    /// <summary>
    /// The explicit link step: the person is signed in with the local account (password), the
    /// provider's identity waits in the external cookie, and its verified e-mail is the account's.
    /// A form post with antiforgery, so another site cannot make a signed-in person link an identity.
    /// </summary>
    private static async Task<IResult> LinkExternalAsync([FromForm] string? returnUrl, HttpContext context,
        SignInManager<PortalUser> signIn, UserManager<PortalUser> users, ILogger<PortalUser> logger)
    {
        var user = await users.GetUserAsync(context.User);
        var info = await signIn.GetExternalLoginInfoAsync();
        if (user is null || info is null)
            return Results.LocalRedirect(LinkPagePath + "?error=expired");
        var email = info.Principal.FindFirstValue(ClaimTypes.Email);
        if (!HasVerifiedEmail(info.Principal) || !string.Equals(email, user.Email, StringComparison.OrdinalIgnoreCase))
            return Results.LocalRedirect(LinkPagePath + "?error=mismatch");
        var added = await users.AddLoginAsync(user, info);
        await context.SignOutAsync(IdentityConstants.ExternalScheme);
        if (!added.Succeeded)
            return Results.LocalRedirect(LinkPagePath + "?error=failed");
        logger.LogInformation("{Email} linked single sign-on ({Provider}) to their account", user.Email, info.LoginProvider);
        return Results.LocalRedirect(SafeReturnUrl(returnUrl));
    }

    /// <summary>The provider's email_verified claim (OpenID Connect Core 5.1): only "true" counts.</summary>
    public static bool HasVerifiedEmail(ClaimsPrincipal principal) =>
        string.Equals(principal.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase);

    private static IResult LoginWithError(string error) => Results.LocalRedirect("/account/login?error=" + error);

    /// <summary>Only local paths: an attacker-supplied absolute URL must never become a redirect.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
