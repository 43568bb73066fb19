using System.Net;
using Meshwork.Portal.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Identity;

public sealed class SignInTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task FirstStart_CreatesConfiguredAdmin()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var admin = await users.FindByEmailAsync(PortalFactory.AdminEmail);
        Assert.NotNull(admin);
        Assert.True(await users.IsInRoleAsync(admin, PortalRoles.Admin));
    }

    [Fact]
    public async Task Page_NotSignedIn_RedirectsToLogin()
    {
        using var http = BrowserSession.Create(portal);
        using var response = await http.GetAsync("/services");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Login_CorrectPassword_SignsInAndServesPages()
    {
        using var http = BrowserSession.Create(portal);
        using var response = await BrowserSession.PostLoginAsync(http, PortalFactory.AdminEmail, PortalFactory.AdminPassword, "/services");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("http://localhost/services", response.Headers.Location!.ToString());
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("meshwork.auth=", StringComparison.Ordinal) && c.Contains("httponly"));

        using var page = await http.GetAsync("/services");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task Login_AbsoluteReturnUrl_RedirectsOnlyLocally()
    {
        using var http = BrowserSession.Create(portal);
        using var response = await BrowserSession.PostLoginAsync(http, PortalFactory.AdminEmail, PortalFactory.AdminPassword, "https://evil.example/");
        Assert.Equal("http://localhost/", response.Headers.Location!.ToString()); // the portal itself, never evil.example
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_IsRefused()
    {
        using var http = BrowserSession.Create(portal);
        using var response = await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.Email"] = PortalFactory.AdminEmail,
            ["Input.Password"] = PortalFactory.AdminPassword,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("meshwork.auth=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Logout_WithoutAntiforgeryToken_IsRefused()
    {
        using var http = await BrowserSession.SignedInAsync(portal);
        using var response = await http.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var stillSignedIn = await http.GetAsync("/services");
        Assert.Equal(HttpStatusCode.OK, stillSignedIn.StatusCode);
    }

    [Fact]
    public async Task Login_FiveWrongPasswords_LocksTheAccountOut()
    {
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var admin = scope.ServiceProvider.GetRequiredService<UserAdminService>();
            Assert.True((await admin.CreateAsync("lockout@meshwork.test", "Lockout-Passw0rd!", PortalRoles.Viewer)).Succeeded);
        }
        using var http = BrowserSession.Create(portal);
        for (var i = 0; i < 5; i++)
            (await BrowserSession.PostLoginAsync(http, "lockout@meshwork.test", "wrong-password")).Dispose();

        using var response = await BrowserSession.PostLoginAsync(http, "lockout@meshwork.test", "Lockout-Passw0rd!");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the form again, not a redirect
        Assert.Contains("locked", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders()
    {
        using var http = BrowserSession.Create(portal);
        using var response = await http.GetAsync("/account/login");
        var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }
}
