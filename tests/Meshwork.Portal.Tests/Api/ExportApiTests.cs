using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Interop;
using Meshwork.Model.Serialization;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Api;

/// <summary>GET /api/v1/export on the real portal and PostgreSQL: the stored resources as Istio or Gateway API, as meshctl export writes them.</summary>
public sealed class ExportApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static string Split(string ns) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: exp-reviews, namespace: {{ns}}}
        spec:
          hosts: [exp-reviews]
          http:
          - route:
            - destination: {host: exp-reviews, subset: v1}
              weight: 90
            - destination: {host: exp-reviews, subset: v2}
              weight: 10
        """;

    /// <summary>A 90/10 split imported into <paramref name="ns"/> (one namespace per test: the portal is shared by the class).</summary>
    private async Task<HttpClient> OperatorWithImportedSplitAsync(string ns)
    {
        var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services",
            new StringContent(MeshworkJson.Serialize(Samples.Service("exp-reviews", ns, versions: ["v1", "v2"])), Encoding.UTF8, "application/json")))
            .EnsureSuccessStatusCode();
        (await http.PostAsync("/api/v1/import?source=split.yaml", new StringContent(Split(ns), Encoding.UTF8, "application/yaml"))).EnsureSuccessStatusCode();
        return http;
    }

    [Fact]
    public async Task Istio_ViewerGetsTheSplitAsAVirtualService_TheSameYamlTheExporterWrites()
    {
        using var setup = await OperatorWithImportedSplitAsync("exp-istio");
        using var http = await portal.ApiClientAsync("Viewer");

        using var response = await http.GetAsync("/api/v1/export?format=istio&namespace=exp-istio");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("istio", body.GetProperty("format").GetString());
        var yaml = body.GetProperty("yaml").GetString()!;
        Assert.Contains("kind: VirtualService", yaml);
        Assert.Contains("weight: 90", yaml);
        Assert.Contains("weight: 10", yaml);
        await using var scope = portal.Services.CreateAsyncScope();
        var all = (await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync()).Select(s => s.Resource).ToList();
        Assert.Equal(ManifestExporter.Export(all.Where(r => r.Metadata.Namespace == "exp-istio").ToList(), ExportFormat.Istio, all).Yaml, yaml);
    }

    [Fact]
    public async Task GatewayApi_AsYaml_WritesAnHttpRouteWithTheWeights()
    {
        using var http = await OperatorWithImportedSplitAsync("exp-gateway");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/export?format=gateway-api&namespace=exp-gateway");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/yaml"));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        var yaml = await response.Content.ReadAsStringAsync();
        Assert.Contains("kind: HTTPRoute", yaml);
        Assert.Contains("weight: 90", yaml);
        Assert.DoesNotContain("kind: VirtualService", yaml);
    }

    [Fact]
    public async Task UnknownFormat_Is400NamingTheParameter()
    {
        using var http = await portal.ApiClientAsync("Viewer");

        using var response = await http.GetAsync("/api/v1/export?format=linkerd");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        var error = Assert.Single(errors.EnumerateArray());
        Assert.Equal("format", error.GetProperty("path").GetString());
        Assert.Contains("gateway-api, istio, meshwork; was 'linkerd'", error.GetProperty("message").GetString());
    }
}
