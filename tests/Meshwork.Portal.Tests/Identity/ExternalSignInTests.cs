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
/// Corporate single sign-on end to end: a second real portal's OIDC server plays the company's
/// identity provider; the portal under test signs a person in through it and creates their account.
/// </summary>
public sealed partial class ExternalSignInTests(PortalFactory identityProvider) : IClassFixture<PortalFactory>
{
    private const string ClientId = "corporate-sso-test";
    private const string ClientSecret = "corporate-sso-secret-0123456789";
    private const string Callback = "https://localhost/signin-external";

    [Fact]
    public async Task ExternalLogin_NewPerson_CreatesViewerAccountAndSignsIn()
    {
        await using (var scope = identityProvider.Services.CreateAsyncScope())
        {
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
            var admin = scope.ServiceProvider.GetRequiredService<UserAdminService>();
            Assert.True((await admin.CreateAsync("sso.person@corp.test", "Sso-Person-Passw0rd!", PortalRoles.Admin)).Succeeded);
        }

        await using var portal = new PortalFactory
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
        var browser = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });
        var loginPage = await browser.GetStringAsync("/account/login");
        Assert.Contains("Sign in with Corp SSO", loginPage);

        // 1. The portal sends the browser to the provider.
        using var challenge = await browser.GetAsync("/account/external-login?returnUrl=%2Fservices");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        Assert.EndsWith("/connect/authorize", authorize.AbsolutePath);

        // 2. The person signs in at the provider, which sends them back with a code.
        using var providerBrowser = await BrowserSession.SignedInAsync(identityProvider, "sso.person@corp.test", "Sso-Person-Passw0rd!");
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

        // 3. The portal redeems the code, then creates the local account and signs it in.
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, $"{(int)callback.StatusCode}: {await callback.Content.ReadAsStringAsync()}");
        var next = callback.Headers.Location!;
        using var finish = await browser.GetAsync(next.IsAbsoluteUri ? next.PathAndQuery : next.OriginalString);
        callback.Dispose();
        Assert.Equal(HttpStatusCode.Redirect, finish.StatusCode);
        Assert.EndsWith("/services", finish.Headers.Location!.OriginalString);
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var page = await browser.GetAsync("/services");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        await using var portalScope = portal.Services.CreateAsyncScope();
        var users = portalScope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var created = await users.FindByEmailAsync("sso.person@corp.test");
        Assert.NotNull(created);
        // The provider's roles are not trusted: a first SSO sign-in gets the configured default role.
        Assert.Equal([PortalRoles.Viewer], await users.GetRolesAsync(created));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenInput();
}
