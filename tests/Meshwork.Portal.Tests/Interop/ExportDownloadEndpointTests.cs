using System.Net;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Interop;

/// <summary>
/// GET /portal/export/{kind}/{namespace}/{name} on the real portal and PostgreSQL: the Export menu's download, for a
/// signed-in Viewer's cookie only, with the same text as GET /api/v1/export.
/// </summary>
public sealed class ExportDownloadEndpointTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string ViewerEmail = "download-viewer@meshwork.test";
    private const string ViewerPassword = "Download-Viewer-Passw0rd!";

    /// <summary>A service and its 80/20 route in a namespace of their own (the portal is shared by the class).</summary>
    private async Task SeedRouteAsync(string ns)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service("dl-reviews", ns, versions: ["v1", "v2"]), actor));
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "dl-reviews", Namespace = ns },
            ParentRefs = [new ParentRef { Name = "dl-reviews" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "dl-reviews", Version = "v1", Weight = 80 }, new BackendRef { Service = "dl-reviews", Version = "v2", Weight = 20 }] }],
        };
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(route, actor));
    }

    private async Task<HttpClient> SignedInViewerAsync()
    {
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserAdminService>();
            if ((await users.ListAsync()).All(u => u.Email != ViewerEmail))
                Assert.True((await users.CreateAsync(ViewerEmail, ViewerPassword, PortalRoles.Viewer)).Succeeded);
        }
        return await BrowserSession.SignedInAsync(portal, ViewerEmail, ViewerPassword);
    }

    [Fact]
    public async Task Viewer_DownloadsTheRouteAsIstio_AFileWithTheApisText()
    {
        await SeedRouteAsync("dl-istio");
        using var browser = await SignedInViewerAsync();

        using var response = await browser.GetAsync("/portal/export/HttpRoute/dl-istio/dl-reviews?format=istio");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("dl-reviews.httproute.istio.yaml", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        var file = await response.Content.ReadAsStringAsync();
        Assert.Contains("apiVersion: networking.istio.io/v1\nkind: VirtualService\n", file);
        Assert.Contains("weight: 80", file);

        // The API's export of the whole namespace holds the same VirtualService, word for word.
        using var api = await portal.ApiClientAsync("Viewer");
        var body = JsonDocument.Parse(await api.GetStringAsync("/api/v1/export?format=istio&namespace=dl-istio")).RootElement;
        Assert.Contains(file, body.GetProperty("yaml").GetString());
    }

    [Fact]
    public async Task UnknownFormatOrKind_400_NotStored_404()
    {
        await SeedRouteAsync("dl-bad");
        using var browser = await SignedInViewerAsync();

        using var format = await browser.GetAsync("/portal/export/HttpRoute/dl-bad/dl-reviews?format=linkerd");
        using var kind = await browser.GetAsync("/portal/export/Gateway/dl-bad/dl-reviews?format=istio");
        using var missing = await browser.GetAsync("/portal/export/HttpRoute/dl-bad/nothing-here?format=istio");

        Assert.Equal(HttpStatusCode.BadRequest, format.StatusCode);
        Assert.Contains("format: must be one of gateway-api, istio, meshwork; was 'linkerd'", await format.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.Contains("kind: must be one of", await kind.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("HttpRoute/dl-bad/nothing-here is not stored", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Anonymous_OrABearerToken_GetsNoFile()
    {
        await SeedRouteAsync("dl-anon");
        using var anonymous = BrowserSession.Create(portal);
        using var bearer = await portal.ApiClientAsync("Admin");

        using var cookieless = await anonymous.GetAsync("/portal/export/HttpRoute/dl-anon/dl-reviews?format=istio");
        // The download is the browser's: the API's bearer tokens are not accepted here (and cookies are not accepted by the API).
        using var withToken = await bearer.GetAsync("/portal/export/HttpRoute/dl-anon/dl-reviews?format=istio");

        Assert.Equal(HttpStatusCode.Redirect, cookieless.StatusCode);
        Assert.Contains("/account/login", cookieless.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, withToken.StatusCode);
    }
}
