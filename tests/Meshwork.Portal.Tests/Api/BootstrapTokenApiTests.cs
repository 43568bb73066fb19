using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Api;

/// <summary>/api/v1/bootstrap-tokens through the real portal pipeline and PostgreSQL.</summary>
public sealed class BootstrapTokenApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<HttpResponseMessage> IssueAsync(object body)
    {
        using var http = await portal.ApiClientAsync("Admin");
        return await http.PostAsJsonAsync("/api/v1/bootstrap-tokens", body);
    }

    [Fact]
    public async Task Issue_ScopedToken_ReturnsTheSecretOnceWithTheJoinCommand_AndStoresOnlyItsHash()
    {
        using var response = await IssueAsync(new { name = "api-orders", @namespace = "shop", service = "orders" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        var secret = root.GetProperty("secret").GetString()!;
        Assert.False(root.GetProperty("wildcard").GetBoolean());
        Assert.InRange(root.GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        var join = root.GetProperty("joinCommand").GetString()!;
        Assert.Contains($"ControlPlaneClient__BootstrapToken='{secret}'", join);
        Assert.Contains("--ControlPlaneClient:Namespace shop --ControlPlaneClient:Service orders", join);

        await using var scope = portal.Services.CreateAsyncScope();
        var stored = (await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>().ListAsync()).Single(t => t.Name == "api-orders");
        Assert.Equal(BootstrapTokenService.Hash(secret), stored.SecretHash);
        using var http = await portal.ApiClientAsync("Admin");
        var listed = await http.GetStringAsync("/api/v1/bootstrap-tokens");
        Assert.Contains("\"api-orders\"", listed);
        Assert.DoesNotContain(secret, listed);
    }

    [Fact]
    public async Task Issue_WildcardOnlyWhenAskedFor_AndNeverForTheControlPlaneNamespace()
    {
        using var implicitWildcard = await IssueAsync(new { name = "api-any", @namespace = "default", service = "*" });
        using var explicitWildcard = await IssueAsync(new { name = "api-any", @namespace = "default", service = "*", wildcard = true });
        using var reserved = await IssueAsync(new { name = "api-cp", @namespace = "meshwork-system", service = "control-plane" });
        using var tooLong = await IssueAsync(new { name = "api-long", @namespace = "default", service = "orders", validFor = "30.00:00:00" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, implicitWildcard.StatusCode);
        Assert.Contains("\"path\":\"service\"", await implicitWildcard.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, explicitWildcard.StatusCode);
        Assert.True((await explicitWildcard.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("wildcard").GetBoolean());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reserved.StatusCode);
        Assert.Contains("control plane's own identity", await reserved.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Contains("\"path\":\"validFor\"", await tooLong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Revoke_MarksTheTokenRevoked_UnknownIdIs404_AndOperatorsMayNotManageTokens()
    {
        using var issued = await IssueAsync(new { name = "api-revoke", @namespace = "default", service = "orders" });
        var id = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var admin = await portal.ApiClientAsync("Admin");
        using var @operator = await portal.ApiClientAsync("Operator");

        using var revoked = await admin.DeleteAsync($"/api/v1/bootstrap-tokens/{id}");
        using var unknown = await admin.DeleteAsync($"/api/v1/bootstrap-tokens/{Guid.NewGuid()}");
        using var forbidden = await @operator.PostAsJsonAsync("/api/v1/bootstrap-tokens", new { name = "op", @namespace = "default", service = "orders" });

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/v1/bootstrap-tokens");
        Assert.Equal("revoked", listed.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "api-revoke").GetProperty("state").GetString());
    }
}
