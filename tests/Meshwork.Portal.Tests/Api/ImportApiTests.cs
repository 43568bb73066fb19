using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Api;

/// <summary>POST /api/v1/import on the real portal and PostgreSQL: preview, atomic apply, nothing written on an error.</summary>
public sealed class ImportApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static string VirtualService(string name, int v1, int v2) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}}
        spec:
          hosts: [{{name}}]
          http:
          - route:
            - destination: {host: {{name}}, subset: v1}
              weight: {{v1}}
            - destination: {host: {{name}}, subset: v2}
              weight: {{v2}}
            retries: {attempts: 3, perTryTimeout: 2s}
        """;

    private const string Deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ignored}\n";

    private async Task<HttpClient> ClientWithServiceAsync(string name)
    {
        var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services",
            new StringContent(MeshworkJson.Serialize(Samples.Service(name, versions: ["v1", "v2"])), Encoding.UTF8, "application/json")))
            .EnsureSuccessStatusCode();
        return http;
    }

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    private async Task<IReadOnlyList<StoredResource>> StoredRoutesAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var all = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync(ResourceKind.HttpRoute);
        return all.Where(s => s.Resource.Metadata.Name == name).ToList();
    }

    [Fact]
    public async Task IstioVirtualServiceWithHttpAndTcpRoutes_StoresAnHttpRouteAndATcpRoute()
    {
        using var http = await ClientWithServiceAsync("imp-mixed");
        var yaml = VirtualService("imp-mixed", 90, 10) + """

              tcp:
              - match: [{port: 25491}]
                route:
                - destination: {host: imp-mixed, subset: v1}
                  weight: 90
                - destination: {host: imp-mixed, subset: v2}
                  weight: 10
            """;

        using var applied = await http.PostAsync("/api/v1/import", Yaml(yaml));

        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        var kinds = JsonDocument.Parse(await applied.Content.ReadAsStringAsync()).RootElement.GetProperty("changes").EnumerateArray()
            .Select(c => c.GetProperty("kind").GetString()).ToList();
        Assert.Contains("HttpRoute", kinds);
        Assert.Contains("TcpRoute", kinds);
        Assert.Single(await StoredRoutesAsync("imp-mixed"));
        await using var scope = portal.Services.CreateAsyncScope();
        var tcp = Assert.IsType<TcpRoute>((await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.TcpRoute, "default", "imp-mixed")))!.Resource);
        Assert.Equal((25491, "imp-mixed"), (tcp.Port, tcp.Service));
        Assert.Equal([("v1", 90), ("v2", 10)], tcp.Rules[0].BackendRefs.Select(b => (b.Version, b.Weight)));
    }

    [Fact]
    public async Task DryRun_ShowsTheDiffAndMessages_WritesNothing_ThenApplyStoresAndAuditsIt()
    {
        using var http = await ClientWithServiceAsync("imp-reviews");

        using var preview = await http.PostAsync("/api/v1/import?dryRun=true", Yaml(Deployment + "---\n" + VirtualService("imp-reviews", 80, 20)));
        var body = JsonDocument.Parse(await preview.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.False(body.GetProperty("applied").GetBoolean());
        Assert.Contains(body.GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString()!.Contains("Deployment"));
        var route = Assert.Single(body.GetProperty("changes").EnumerateArray(), c => c.GetProperty("kind").GetString() == "HttpRoute");
        Assert.Equal("create", route.GetProperty("action").GetString());
        Assert.Empty(await StoredRoutesAsync("imp-reviews"));

        using var applied = await http.PostAsync("/api/v1/import", Yaml(VirtualService("imp-reviews", 80, 20)));
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        var stored = Assert.Single(await StoredRoutesAsync("imp-reviews"));
        Assert.Equal([80, 20], ((HttpRoute)stored.Resource).Rules[0].BackendRefs.Select(b => b.Weight));
        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.NotEmpty(await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Name = "imp-reviews" }));

        // The same weights again change nothing; new weights are an update with a diff.
        using var again = await http.PostAsync("/api/v1/import?dryRun=true", Yaml(VirtualService("imp-reviews", 50, 50)));
        var update = Assert.Single(JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("changes").EnumerateArray(),
            c => c.GetProperty("kind").GetString() == "HttpRoute");
        Assert.Equal("update", update.GetProperty("action").GetString());
        Assert.NotEmpty(update.GetProperty("diff").EnumerateArray());
    }

    [Fact]
    public async Task OneBadDocument_WritesNothing_AndNamesItsPath()
    {
        using var http = await ClientWithServiceAsync("imp-bad");
        var yaml = VirtualService("imp-bad", 90, 10) + "\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec: {action: CUSTOM}\n";

        using var response = await http.PostAsync("/api/v1/import", Yaml(yaml));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("[1].spec.action", await response.Content.ReadAsStringAsync());
        Assert.Empty(await StoredRoutesAsync("imp-bad"));
    }

    [Fact]
    public async Task Apply_AuditEntriesNameTheSourceFile_AndTheChainStillVerifies()
    {
        using var http = await ClientWithServiceAsync("imp-source");

        using var applied = await http.PostAsync("/api/v1/import?source=reviews-vs.yaml", Yaml(VirtualService("imp-source", 70, 30)));

        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        await using var scope = portal.Services.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<AuditLog>();
        var entries = await log.QueryAsync(new AuditQuery { Name = "imp-source" });
        var route = Assert.Single(entries, e => e.Kind == ResourceKind.HttpRoute);
        Assert.Equal("import of reviews-vs.yaml", route.Reason);
        Assert.Null(Assert.Single(entries, e => e.Kind == ResourceKind.Service).Reason); // created through the API before, no reason
        Assert.True((await log.VerifyChainAsync()).IsIntact);
    }

    [Fact]
    public async Task ApplyWithoutSource_AuditNamesTheRequestBody()
    {
        using var http = await ClientWithServiceAsync("imp-nosource");

        using var applied = await http.PostAsync("/api/v1/import", Yaml(VirtualService("imp-nosource", 60, 40)));

        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        await using var scope = portal.Services.CreateAsyncScope();
        var entries = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Name = "imp-nosource" });
        Assert.Equal("import of the request body", Assert.Single(entries).Reason);
    }

    [Fact]
    public async Task Viewer_IsForbidden()
    {
        using var http = await portal.ApiClientAsync("Viewer");
        using var response = await http.PostAsync("/api/v1/import?dryRun=true", Yaml(VirtualService("imp-viewer", 90, 10)));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
