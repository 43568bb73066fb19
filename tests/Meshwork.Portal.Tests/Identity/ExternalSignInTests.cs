using System.Net;
using System.Text.RegularExpressions;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Meshwork.Portal.Tests.Identity;

/// <summary>
/// Corporate single sign-on end to end: a second real portal's OIDC server stands in for the
/// company's identity provider (a true external boundary, so a stand-in is fair; it is a real OpenID
/// Connect server, and its email_verified claim follows the person's EmailConfirmed). The portal under
/// test signs people in through it, creates accounts, and links existing ones only on request.
/// </summary>
public sealed partial class ExternalSignInTests(PortalFactory identityProvider) : IClassFixture<PortalFactory>
{
    private const string ClientId = "corporate-sso-test";
    private const string ClientSecret = "corporate-sso-secret-0123456789";
    private const string Callback = "https://localhost/signin-external";
    private const string ProviderPassword = "Sso-Person-Passw0rd!";

    private async Task RegisterPortalAsClientAsync()
    {
        await using var scope = identityProvider.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync(ClientId) is null)
        {
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = ClientId,
                ClientSecret = ClientSecret,
                ClientType = ClientTypes.Confidential,
                RedirectUris = { new Uri(Callback) },
                Permissions =
                {
                    Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
                    Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                    Permissions.Scopes.Email, Permissions.Scopes.Profile,
                },
            });
        }
    }

    /// <summary>A person at the provider; <paramref name="verified"/> is what its email_verified claim will say.</summary>
    private async Task ProviderPersonAsync(string email, bool verified = true)
    {
        await using var scope = identityProvider.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var person = new PortalUser { UserName = email, Email = email, EmailConfirmed = verified, LockoutEnabled = true };
        Assert.True((await users.CreateAsync(person, ProviderPassword)).Succeeded);
        Assert.True((await users.AddToRoleAsync(person, PortalRoles.Admin)).Succeeded);
    }

    /// <summary>The portal under test, with the other portal as its single sign-on provider.</summary>
    private async Task<PortalFactory> RelyingPortalAsync()
    {
        await RegisterPortalAsClientAsync();
        var portal = new PortalFactory
        {
            Settings = new Dictionary<string, string>
            {
                ["Portal:ExternalOidc:Authority"] = "http://localhost/",
                ["Portal:ExternalOidc:ClientId"] = ClientId,
                ["Portal:ExternalOidc:ClientSecret"] = ClientSecret,
                ["Portal:ExternalOidc:DisplayName"] = "Corp SSO",
            },
            // The portal reaches the provider's discovery, keys and token endpoints in memory.
            TestServices = services => services.Configure<OpenIdConnectOptions>(PortalIdentitySetup.ExternalScheme,
                options => options.BackchannelHttpHandler = identityProvider.Server.CreateHandler()),
        };
        await portal.InitializeAsync();
        return portal;
    }

    private static HttpClient Browser(PortalFactory portal) =>
        portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });

    /// <summary>
    /// Single sign-on as <paramref name="email"/> at the provider, up to where the portal answers its own
    /// callback (/account/external-callback); returns where that answer sends the browser.
    /// </summary>
    private async Task<string> SingleSignOnAsync(HttpClient browser, string email, string returnUrl = "/services")
    {
        // 1. The portal sends the browser to the provider.
        using var challenge = await browser.GetAsync("/account/external-login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        Assert.EndsWith("/connect/authorize", authorize.AbsolutePath);

        // 2. The person signs in at the provider, which sends them back with a code.
        using var providerBrowser = await BrowserSession.SignedInAsync(identityProvider, email, ProviderPassword);
        using var granted = await providerBrowser.GetAsync(authorize.PathAndQuery);
        var form = await granted.Content.ReadAsStringAsync();
        HttpResponseMessage callback;
        if (granted.StatusCode == HttpStatusCode.Redirect)
        {
            callback = await browser.GetAsync(granted.Headers.Location!.PathAndQuery);
        }
        else
        {
            // response_mode=form_post: the provider's page posts the code back.
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
            var fields = HiddenInput().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
            Assert.Contains("code", fields.Keys);
            callback = await browser.PostAsync("/signin-external", new FormUrlEncodedContent(fields));
        }

        // 3. The portal redeems the code (the handler) and then decides (the portal's own callback).
        using (callback)
        {
            Assert.True(callback.StatusCode == HttpStatusCode.Redirect, $"{(int)callback.StatusCode}: {await callback.Content.ReadAsStringAsync()}");
            var next = callback.Headers.Location!;
            using var decided = await browser.GetAsync(next.IsAbsoluteUri ? next.PathAndQuery : next.OriginalString);
            Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
            return decided.Headers.Location!.OriginalString;
        }
    }

    private static async Task<bool> SignedInAsync(HttpClient browser)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/services");
        request.Headers.Accept.ParseAdd("text/html");
        using var page = await browser.SendAsync(request);
        return page.StatusCode == HttpStatusCode.OK;
    }

    [Fact]
    public async Task ExternalLogin_NewPerson_CreatesViewerAccountAndSignsIn()
    {
        await ProviderPersonAsync("sso.person@corp.test");
        await using var portal = await RelyingPortalAsync();
        var browser = Browser(portal);
        Assert.Contains("Sign in with Corp SSO", await browser.GetStringAsync("/account/login"));

        Assert.EndsWith("/services", await SingleSignOnAsync(browser, "sso.person@corp.test"));
        Assert.True(await SignedInAsync(browser));

        await using var portalScope = portal.Services.CreateAsyncScope();
        var users = portalScope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var created = await users.FindByEmailAsync("sso.person@corp.test");
        Assert.NotNull(created);
        // The provider's roles are not trusted: a first SSO sign-in gets the configured default role.
        Assert.Equal([PortalRoles.Viewer], await users.GetRolesAsync(created));
    }

    [Fact]
    public async Task ExternalLogin_UnverifiedEmail_RefusedAndNoAccountCreated()
    {
        await ProviderPersonAsync("unverified@corp.test", verified: false);
        await using var portal = await RelyingPortalAsync();
        var browser = Browser(portal);

        Assert.Equal("/account/login?error=external-unverified", await SingleSignOnAsync(browser, "unverified@corp.test"));
        Assert.False(await SignedInAsync(browser));
        await using var scope = portal.Services.CreateAsyncScope();
        Assert.Null(await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync("unverified@corp.test"));
    }

    /// <summary>
    /// Someone who controls the same e-mail at the provider does not get into the local account: no
    /// automatic link, no sign-in. The owner links it with the local password and a confirmation; from
    /// then on single sign-on opens the account, but never past a lockout.
    /// </summary>
    [Fact]
    public async Task ExternalLogin_ExistingLocalAccount_LinksOnlyAfterPasswordAndConfirmation_NeverPastLockout()
    {
        const string email = "local.admin@corp.test";
        const string localPassword = "Local-Admin-Passw0rd!";
        await ProviderPersonAsync(email);
        await using var portal = await RelyingPortalAsync();
        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdminService>().CreateAsync(email, localPassword, PortalRoles.Admin)).Succeeded);
        async Task<IList<UserLoginInfo>> LoginsAsync()
        {
            await using var scope = portal.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            return await users.GetLoginsAsync((await users.FindByEmailAsync(email))!);
        }
        var browser = Browser(portal);

        // Single sign-on alone: sent to the password form, not signed in, nothing linked.
        var next = await SingleSignOnAsync(browser, email);
        Assert.StartsWith("/account/login?error=external-link&returnUrl=", next);
        Assert.False(await SignedInAsync(browser));
        Assert.Empty(await LoginsAsync());

        // The owner signs in with the local password (same browser), sees the link page and confirms.
        var linkPage = Uri.UnescapeDataString(next[(next.IndexOf("returnUrl=", StringComparison.Ordinal) + "returnUrl=".Length)..]);
        Assert.StartsWith("/account/link-external", linkPage);
        using (var login = await BrowserSession.PostLoginAsync(browser, email, localPassword, linkPage))
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Empty(await LoginsAsync()); // signing in is not yet consent to link
        var html = await browser.GetStringAsync(linkPage);
        Assert.Contains("Link the Corp SSO identity", html);
        using (var confirm = await browser.PostAsync("/account/link-external", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = await BrowserSession.AntiforgeryTokenAsync(browser, linkPage),
            ["returnUrl"] = "/services",
        })))
        {
            Assert.Equal(HttpStatusCode.Redirect, confirm.StatusCode);
            Assert.Equal("/services", confirm.Headers.Location!.OriginalString);
        }
        Assert.Single(await LoginsAsync());

        // Linked: single sign-on now opens the account directly.
        var fresh = Browser(portal);
        Assert.EndsWith("/services", await SingleSignOnAsync(fresh, email));
        Assert.True(await SignedInAsync(fresh));

        // Locked out: single sign-on is refused like the password.
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            Assert.True((await users.SetLockoutEndDateAsync((await users.FindByEmailAsync(email))!, DateTimeOffset.UtcNow.AddMinutes(15))).Succeeded);
        }
        var locked = Browser(portal);
        Assert.Equal("/account/login?error=locked", await SingleSignOnAsync(locked, email));
        Assert.False(await SignedInAsync(locked));
    }

    [Fact]
    public async Task LinkExternal_SignedInPostWithoutAntiforgery_Refused()
    {
        await using var portal = await RelyingPortalAsync();
        var browser = Browser(portal);
        using (var login = await BrowserSession.PostLoginAsync(browser, PortalFactory.AdminEmail, PortalFactory.AdminPassword))
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        // Another site's form cannot make a signed-in person link an identity.
        using var response = await browser.PostAsync("/account/link-external", new FormUrlEncodedContent(new Dictionary<string, string> { ["returnUrl"] = "/" }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenInput();
}
