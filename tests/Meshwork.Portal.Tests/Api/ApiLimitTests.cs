using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Portal.Api;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Api;

/// <summary>The API's input limits (Portal:Api) at their defaults, and exports of many resources.</summary>
public sealed class ApiLimitTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const int DefaultMaxBytes = 1024 * 1024;
    private const int DefaultMaxDocuments = 500;

    private static string Documents(string prefix, int count, string ns = "default") =>
        string.Join("\n---\n", Enumerable.Range(0, count).Select(i => Samples.ServiceYaml($"{prefix}-{i}", ns: ns)));

    /// <summary>A valid batch padded with a YAML comment past the body limit.</summary>
    private static string Oversize(string name) =>
        Samples.ServiceYaml(name) + "\n# " + new string('x', DefaultMaxBytes) + "\n";

    private async Task<StoredResource?> StoredAsync(string name, string ns = "default")
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.Service, ns, name));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(detailPart, problem.RootElement.GetProperty("detail").GetString());
        Assert.NotEmpty(problem.RootElement.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task Apply_BodyOverTheLimit_Returns413AndWritesNothing()
    {
        using var http = await portal.ApiClientAsync("Operator");
        using var response = await http.PostAsync("/api/v1/apply", new StringContent(Oversize("limit-declared"), Encoding.UTF8, ResourceBodies.YamlMediaType));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than 1 MiB (Portal:Api:MaxRequestBodyBytes)");
        Assert.Null(await StoredAsync("limit-declared"));
    }

    [Fact]
    public async Task Apply_ChunkedBodyOverTheLimit_Returns413AndWritesNothing()
    {
        // No Content-Length: the limit is found while reading, which stops there.
        using var http = await portal.ApiClientAsync("Operator");
        using var content = new UndeclaredLengthContent(Encoding.UTF8.GetBytes(Oversize("limit-chunked")), ResourceBodies.YamlMediaType);
        using var response = await http.PostAsync("/api/v1/apply", content);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than 1 MiB");
        Assert.Null(await StoredAsync("limit-chunked"));
    }

    [Fact]
    public async Task Create_BodyOverTheLimit_Returns413AndWritesNothing()
    {
        using var http = await portal.ApiClientAsync("Operator");
        var json = MeshworkJson.Serialize(Samples.Service("limit-single")).TrimEnd('}') + ",\"x\":\"" + new string('x', DefaultMaxBytes) + "\"}";
        using var response = await http.PostAsync("/api/v1/services", new StringContent(json, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "Portal:Api:MaxRequestBodyBytes");
        Assert.Null(await StoredAsync("limit-single"));
    }

    [Fact]
    public async Task Apply_TooManyYamlDocuments_Returns400NamingTheLimitAndWritesNothing()
    {
        using var http = await portal.ApiClientAsync("Operator");
        using var response = await http.PostAsync("/api/v1/apply",
            new StringContent(Documents("limit-docs", DefaultMaxDocuments + 1), Encoding.UTF8, ResourceBodies.YamlMediaType));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, $"at most {DefaultMaxDocuments} are accepted per request (Portal:Api:MaxDocumentsPerRequest)");
        Assert.Null(await StoredAsync("limit-docs-0"));
    }

    [Fact]
    public async Task Validate_TooManyJsonEntries_Returns400NamingTheLimit()
    {
        using var http = await portal.ApiClientAsync("Operator");
        var array = "[" + string.Join(",", Enumerable.Range(0, DefaultMaxDocuments + 1).Select(i => MeshworkJson.Serialize(Samples.Service($"limit-json-{i}")))) + "]";
        using var response = await http.PostAsync("/api/v1/validate", new StringContent(array, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, $"more than {DefaultMaxDocuments} documents");
    }

    [Fact]
    public async Task Apply_AtTheDocumentLimit_IsAccepted()
    {
        using var http = await portal.ApiClientAsync("Operator");
        using var response = await http.PostAsync("/api/v1/apply",
            new StringContent(Documents("limit-exact", DefaultMaxDocuments, ns: "limit-exact"), Encoding.UTF8, ResourceBodies.YamlMediaType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await StoredAsync($"limit-exact-{DefaultMaxDocuments - 1}", "limit-exact"));
    }

    [Fact]
    public async Task List_ManyResources_StreamsEveryOneInYamlAndJson()
    {
        const int count = 400;
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/apply", new StringContent(Documents("export", count, ns: "export"), Encoding.UTF8, ResourceBodies.YamlMediaType)))
            .EnsureSuccessStatusCode();
        var expected = Enumerable.Range(0, count).Select(i => $"export-{i}").Order(StringComparer.Ordinal).ToList();

        using var yamlRequest = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services?namespace=export");
        yamlRequest.Headers.Accept.ParseAdd(ResourceBodies.YamlMediaType);
        using var yamlResponse = await http.SendAsync(yamlRequest);
        Assert.Equal(HttpStatusCode.OK, yamlResponse.StatusCode);
        var read = ResourceYaml.Read(await yamlResponse.Content.ReadAsStringAsync());
        Assert.Empty(read.Issues);
        Assert.Equal(expected, read.Resources.Select(r => r.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.All(read.Resources, r => Assert.Equal(MeshworkJson.Canonical(Samples.Service(r.Metadata.Name, "export") with { Metadata = r.Metadata }), MeshworkJson.Canonical(r)));

        using var jsonResponse = await http.GetAsync("/api/v1/services?namespace=export");
        Assert.Equal(HttpStatusCode.OK, jsonResponse.StatusCode);
        var listed = JsonSerializer.Deserialize<List<Resource>>(await jsonResponse.Content.ReadAsStringAsync(), MeshworkJson.Options)!;
        Assert.Equal(expected, listed.Select(r => r.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.All(listed, r => Assert.Equal(1, r.Metadata.Version));
    }

    /// <summary>A body sent without Content-Length (chunked on a socket).</summary>
    private sealed class UndeclaredLengthContent : HttpContent
    {
        private readonly byte[] body;

        public UndeclaredLengthContent(byte[] body, string mediaType)
        {
            this.body = body;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
