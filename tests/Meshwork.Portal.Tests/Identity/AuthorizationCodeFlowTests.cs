using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meshwork.Portal.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Identity;

/// <summary>Authorization code + PKCE for a public (browser/native) client, end to end through the real OpenIddict server.</summary>
public sealed class AuthorizationCodeFlowTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string RedirectUri = "http://127.0.0.1:7777/callback";

    private async Task<string> PublicClientAsync()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ApiClientService>().CreatePublicAsync("test spa", new Uri(RedirectUri));
    }

    private static string Challenge(string verifier) =>
        Base64UrlTextEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private static string AuthorizeUrl(string clientId, string challenge) => QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
    {
        ["client_id"] = clientId,
        ["redirect_uri"] = RedirectUri,
        ["response_type"] = "code",
        ["scope"] = "openid profile",
        ["state"] = "xyz",
        ["code_challenge"] = challenge,
        ["code_challenge_method"] = "S256",
    });

    [Fact]
    public async Task Authorize_NotSignedIn_RedirectsToLogin()
    {
        var clientId = await PublicClientAsync();
        using var http = BrowserSession.Create(portal);
        using var response = await http.GetAsync(AuthorizeUrl(clientId, Challenge("v".PadRight(50, 'v'))));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task CodeWithPkce_SignedInAdmin_TokenCallsApiWithAdminRole()
    {
        var clientId = await PublicClientAsync();
        var verifier = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        using var browser = await BrowserSession.SignedInAsync(portal);

        using var authorize = await browser.GetAsync(AuthorizeUrl(clientId, Challenge(verifier)));
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var callback = authorize.Headers.Location!;
        Assert.StartsWith(RedirectUri, callback.ToString());
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("xyz", query["state"].ToString());
        var code = query["code"].ToString();

        using var anonymous = portal.CreateClient();
        async Task<HttpResponseMessage> Exchange(string codeVerifier) => await anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["client_id"] = clientId,
            ["code_verifier"] = codeVerifier,
        }));

        using (var wrongVerifier = await Exchange("not-the-verifier-" + verifier))
            Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier.StatusCode);
        // A failed redemption revokes the code (OpenIddict), so ask for a fresh one.
        using var again = await browser.GetAsync(AuthorizeUrl(clientId, Challenge(verifier)));
        code = QueryHelpers.ParseQuery(again.Headers.Location!.Query)["code"].ToString();
        using var token = await Exchange(verifier);
        var body = await token.Content.ReadAsStringAsync();
        Assert.True(token.IsSuccessStatusCode, body);
        var accessToken = JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString();

        using var api = portal.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var settings = await api.GetAsync("/api/v1/accesspolicies");
        Assert.Equal(HttpStatusCode.OK, settings.StatusCode);
        using var create = await api.PostAsync("/api/v1/services", new StringContent(
            Meshwork.Model.Serialization.MeshworkJson.Serialize(Samples.Service("pkce-created")), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
    }
}
