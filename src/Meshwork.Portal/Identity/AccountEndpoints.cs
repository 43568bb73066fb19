using System.Security.Claims;
using Meshwork.Portal.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Identity;

/// <summary>Sign-out and corporate single sign-on. Sign-in with a password is the Login page (a form with antiforgery).</summary>
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
        return app;
    }

    /// <summary>
    /// The provider vouched for the person. First visit: a local account is created (linked by the
    /// provider's subject, matched by e-mail) with the configured default role; then the usual cookie.
    /// </summary>
    private static async Task<IResult> ExternalCallbackAsync(string? returnUrl, SignInManager<PortalUser> signIn,
        UserManager<PortalUser> users, IOptions<PortalOptions> options, ILogger<PortalUser> logger)
    {
        var info = await signIn.GetExternalLoginInfoAsync();
        if (info is null)
            return Results.LocalRedirect("/account/login?error=external");
        var target = SafeReturnUrl(returnUrl);
        var result = await signIn.ExternalLoginSignInAsync(info.LoginProvider, info.ProviderKey, isPersistent: false, bypassTwoFactor: true);
        if (result.Succeeded)
            return Results.LocalRedirect(target);
        if (result.IsLockedOut)
            return Results.LocalRedirect("/account/login?error=locked");

        var email = info.Principal.FindFirstValue(ClaimTypes.Email);
        if (string.IsNullOrEmpty(email))
            return Results.LocalRedirect("/account/login?error=external-email");
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, LockoutEnabled = true };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
                return Results.LocalRedirect("/account/login?error=external");
            await users.AddToRoleAsync(user, options.Value.ExternalOidc.DefaultRole);
            logger.LogInformation("Created {Email} from single sign-on with role {Role}", email, options.Value.ExternalOidc.DefaultRole);
        }
        await users.AddLoginAsync(user, info);
        await signIn.SignInAsync(user, isPersistent: false, info.LoginProvider);
        return Results.LocalRedirect(target);
    }

    /// <summary>Only local paths: an attacker-supplied absolute URL must never become a redirect.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
