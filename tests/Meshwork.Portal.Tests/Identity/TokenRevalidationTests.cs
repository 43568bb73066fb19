using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meshwork.Portal.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Identity;

/// <summary>The portal with a short session revalidation interval, so tests wait seconds, not the 30 s default.</summary>
public sealed class ShortRevalidationPortal() : IAsyncLifetime
{
    public PortalFactory Portal { get; } = new()
    {
        Settings = new Dictionary<string, string> { ["Portal:Sessions:RevalidationInterval"] = "00:00:01" },
    };

    public Task InitializeAsync() => Portal.InitializeAsync();
    public async Task DisposeAsync() => await ((IAsyncLifetime)Portal).DisposeAsync();
}

/// <summary>
/// Bearer tokens from the real token endpoint stop working on the API once their user is demoted,
/// deleted or locked out, or their client is deleted: within the revalidation interval (1 s here),
/// long before the token's own one-hour expiry.
/// </summary>
public sealed class TokenRevalidationTests(ShortRevalidationPortal fixture) : IClassFixture<ShortRevalidationPortal>
{
    private const string RedirectUri = "http://127.0.0.1:7777/callback";
    private const string Password = "Person-Passw0rd!";
    private readonly PortalFactory portal = fixture.Portal;

    [Fact]
    public async Task ClientToken_ClientDeleted_RefusedWithinInterval()
    {
        var client = await portal.CreateClientAsync(PortalRoles.Operator, "deleted later");
        var token = await portal.RequestTokenAsync(client.ClientId, client.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "/api/v1/services"));

        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<ApiClientService>().DeleteAsync(client.ClientId));

        await WaitForStatusAsync(token, "/api/v1/services", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task UserToken_DemotedToViewer_RefusedWithinInterval()
    {
        var (userId, token) = await PersonWithTokenAsync("demoted@meshwork.test", PortalRoles.Admin);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "/api/v1/accesspolicies"));

        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdminService>().SetRoleAsync(userId, PortalRoles.Viewer, "another admin")).Succeeded);

        // Refused outright (not merely 403 on admin calls): the token still says Admin, so nothing it says is trusted.
        await WaitForStatusAsync(token, "/api/v1/services", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task UserToken_Deleted_RefusedWithinInterval()
    {
        var (userId, token) = await PersonWithTokenAsync("deleted@meshwork.test", PortalRoles.Operator);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "/api/v1/services"));

        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdminService>().DeleteAsync(userId, "another admin")).Succeeded);

        await WaitForStatusAsync(token, "/api/v1/services", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task UserToken_LockedOutByFailedSignIns_RefusedWithinInterval()
    {
        const string email = "locked@meshwork.test";
        var (_, token) = await PersonWithTokenAsync(email, PortalRoles.Operator);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "/api/v1/services"));

        // Someone guesses at the password through the real sign-in form until the account locks.
        using var guesser = BrowserSession.Create(portal);
        for (var attempt = 0; attempt < 5; attempt++)
            (await BrowserSession.PostLoginAsync(guesser, email, "wrong-password-" + attempt)).Dispose();
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            Assert.True(await users.IsLockedOutAsync((await users.FindByEmailAsync(email))!));
        }

        await WaitForStatusAsync(token, "/api/v1/services", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task UserToken_Unchanged_KeepsWorkingPastInterval()
    {
        var (_, token) = await PersonWithTokenAsync("steady@meshwork.test", PortalRoles.Viewer);
        // Several intervals pass (each request after the first may re-read the stamp): still accepted.
        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(token, "/api/v1/services"));
            await Task.Delay(250);
        }
    }

    /// <summary>A person with this role and an access token for them from the code + PKCE flow of a public client.</summary>
    private async Task<(string UserId, string Token)> PersonWithTokenAsync(string email, string role)
    {
        string clientId;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdminService>().CreateAsync(email, Password, role)).Succeeded);
            clientId = await scope.ServiceProvider.GetRequiredService<ApiClientService>().CreatePublicAsync("spa for " + email, new Uri(RedirectUri));
        }
        using var browser = await BrowserSession.SignedInAsync(portal, email, Password);
        var verifier = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        using var authorize = await browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid",
            ["state"] = "s",
            ["code_challenge"] = Base64UrlTextEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        }));
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var code = QueryHelpers.ParseQuery(authorize.Headers.Location!.Query)["code"].ToString();
        using var anonymous = portal.CreateClient();
        using var exchange = await anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        }));
        var body = await exchange.Content.ReadAsStringAsync();
        Assert.True(exchange.IsSuccessStatusCode, body);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email);
            return (user!.Id, JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!);
        }
    }

    private async Task<HttpStatusCode> StatusAsync(string token, string path)
    {
        using var api = portal.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.GetAsync(path);
        return response.StatusCode;
    }

    /// <summary>Polls with a generous deadline (a loaded machine): the bound is the interval, the deadline is only a safety net.</summary>
    private async Task WaitForStatusAsync(string token, string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode last;
        while ((last = await StatusAsync(token, path)) != expected && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Equal(expected, last);
    }
}
