using System.ComponentModel.DataAnnotations;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Components.Account;

/// <summary>
/// Static server-rendered sign-in form: cookies can only be set on a real HTTP response (not over
/// the Blazor circuit), and the form carries an antiforgery token that UseAntiforgery checks.
/// </summary>
public partial class Login
{
    private string? message;

    [Inject] public required SignInManager<PortalUser> SignInManager { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required IOptions<PortalOptions> Options { get; init; }
    [Inject] public required ILogger<Login> Logger { get; init; }

    [SupplyParameterFromForm] private LoginInput? Input { get; set; }
    [SupplyParameterFromQuery] private string? ReturnUrl { get; set; }
    [SupplyParameterFromQuery] private string? Error { get; set; }

    private string SafeReturnUrl => AccountEndpoints.SafeReturnUrl(ReturnUrl);

    private string? ExternalProvider => Options.Value.ExternalOidc.IsConfigured ? Options.Value.ExternalOidc.DisplayName : null;

    protected override void OnInitialized()
    {
        Input ??= new LoginInput();
        message ??= Error switch
        {
            "locked" => "This account is locked after too many failed attempts. Try again later or ask an admin.",
            "external" => "Single sign-on did not complete. Try again.",
            "external-email" => "The single sign-on provider did not share an e-mail address.",
            "external-unverified" => "The single sign-on provider has not verified this e-mail address, so it cannot be used here.",
            "external-link" => "An account with this e-mail address already exists. Sign in with its password to link single sign-on to it; you will be asked to confirm.",
            _ => null,
        };
    }

    private async Task SignInAsync()
    {
        var result = await SignInManager.PasswordSignInAsync(Input!.Email.Trim(), Input.Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            Logger.LogInformation("{Email} signed in", Input.Email.Trim());
            Navigation.NavigateTo(SafeReturnUrl, forceLoad: true);
            return;
        }
        message = result.IsLockedOut
            ? "This account is locked after too many failed attempts. Try again later or ask an admin."
            : "Wrong e-mail or password.";
    }

    public sealed class LoginInput
    {
        [Required(ErrorMessage = "Enter your e-mail address.")]
        public string Email { get; set; } = "";

        [Required(ErrorMessage = "Enter your password.")]
        public string Password { get; set; } = "";
    }
}
