using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Api;

public sealed class ResourceApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static StringContent Json(Resource resource) => new(MeshworkJson.Serialize(resource), Encoding.UTF8, "application/json");

    private async Task<IReadOnlyList<AuditEntry>> AuditForAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Name = name });
    }

    private async Task<StoredResource?> StoredAsync(ResourceKey key)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(key);
    }

    [Fact]
    public async Task Create_ValidService_Returns201WithETagLocationAndOneAuditEntry()
    {
        using var http = await portal.ApiClientAsync("Operator");
        using var response = await http.PostAsync("/api/v1/services", Json(Samples.Service("api-create")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal("/api/v1/services/default/api-create", response.Headers.Location?.OriginalString);
        var entry = Assert.Single(await AuditForAsync("api-create"));
        Assert.Equal(ChangeAction.Create, entry.Action);
        Assert.Equal(ChangeSource.Api, entry.Source);
        Assert.StartsWith("mw-", entry.Actor); // the client id of the token
        Assert.Null(entry.BeforeJson);
        Assert.Equal(MeshworkJson.Canonical(Samples.Service("api-create") with { Metadata = new ResourceMetadata { Name = "api-create", Version = 1 } }),
            MeshworkJson.Canonical(MeshworkJson.Deserialize(entry.AfterJson!)));
    }

    [Fact]
    public async Task Replace_StaleIfMatch_Returns409AndChangesNothing()
    {
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services", Json(Samples.Service("api-stale", port: 8080)))).EnsureSuccessStatusCode();
        using var first = new HttpRequestMessage(HttpMethod.Put, "/api/v1/services/default/api-stale") { Content = Json(Samples.Service("api-stale", port: 9090)) };
        first.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        (await http.SendAsync(first)).EnsureSuccessStatusCode();

        using var stale = new HttpRequestMessage(HttpMethod.Put, "/api/v1/services/default/api-stale") { Content = Json(Samples.Service("api-stale", port: 7070)) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        using var response = await http.SendAsync(stale);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, problem.RootElement.GetProperty("currentVersion").GetInt64());
        Assert.Equal(1, problem.RootElement.GetProperty("expectedVersion").GetInt64());
        var stored = await StoredAsync(new ResourceKey(ResourceKind.Service, "default", "api-stale"));
        Assert.Equal(9090, ((Service)stored!.Resource).Port);
        Assert.Equal(2, stored.Resource.Metadata.Version);
        Assert.Equal(2, (await AuditForAsync("api-stale")).Count);
    }

    [Fact]
    public async Task Replace_WithoutIfMatchOrVersion_Returns428()
    {
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services", Json(Samples.Service("api-428")))).EnsureSuccessStatusCode();
        using var response = await http.PutAsync("/api/v1/services/default/api-428", Json(Samples.Service("api-428", port: 1234)));
        Assert.Equal(HttpStatusCode.PreconditionRequired, response.StatusCode);
    }

    [Fact]
    public async Task Create_Existing_Returns409()
    {
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services", Json(Samples.Service("api-dup")))).EnsureSuccessStatusCode();
        using var response = await http.PostAsync("/api/v1/services", Json(Samples.Service("api-dup")));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task Create_InvalidRoute_Returns422ProblemWithValidatorPaths()
    {
        using var http = await portal.ApiClientAsync("Operator");
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "api-bad-route" },
            ParentRefs = [new ParentRef { Name = "no-such-service" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "no-such-service", Weight = -1 }] }],
        };
        using var response = await http.PostAsync("/api/v1/httproutes", Json(route));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = problem.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Contains(paths, p => p!.Contains("rules[0].backendRefs[0]", StringComparison.Ordinal));
        Assert.Contains(problem.RootElement.GetProperty("errors").EnumerateArray(), e =>
            e.GetProperty("path").GetString() == "rules[0].backendRefs[0].weight" && e.GetProperty("message").GetString() == "must not be negative, was -1");
        Assert.Null(await StoredAsync(route.Key));
        Assert.Empty(await AuditForAsync("api-bad-route"));
    }

    [Fact]
    public async Task TcpRoute_CreateAsYaml_ReadBack_AndSecondRouteOnThePort_Returns422()
    {
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services", Json(Samples.Service("api-tcp")))).EnsureSuccessStatusCode();
        const string yaml = "kind: TcpRoute\nmetadata:\n  name: api-tcp\nservice: api-tcp\nport: 25432\nrules:\n- backendRefs:\n  - service: api-tcp\n";
        using var created = await http.PostAsync("/api/v1/tcproutes", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/tcproutes/default/api-tcp", created.Headers.Location?.OriginalString);
        var stored = Assert.IsType<TcpRoute>((await StoredAsync(new ResourceKey(ResourceKind.TcpRoute, "default", "api-tcp")))!.Resource);
        Assert.Equal((25432, "api-tcp"), (stored.Port, Assert.Single(Assert.Single(stored.Rules).BackendRefs).Service));

        using var rival = await http.PostAsync("/api/v1/tcproutes", new StringContent(yaml.Replace("name: api-tcp\nservice", "name: api-tcp-2\nservice"), Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rival.StatusCode);
        using var problem = JsonDocument.Parse(await rival.Content.ReadAsStringAsync());
        Assert.Contains(problem.RootElement.GetProperty("errors").EnumerateArray(), e =>
            e.GetProperty("path").GetString() == "port" && e.GetProperty("message").GetString()!.StartsWith("port 25432 already belongs to TcpRoute 'default/api-tcp'", StringComparison.Ordinal));
        Assert.Null(await StoredAsync(new ResourceKey(ResourceKind.TcpRoute, "default", "api-tcp-2")));
    }

    [Fact]
    public async Task Create_YamlBody_AcceptYaml_RoundTrips()
    {
        using var http = await portal.ApiClientAsync("Operator");
        using var content = new StringContent(Samples.ServiceYaml("api-yaml", port: 7000), Encoding.UTF8, "application/yaml");
        using var created = await http.PostAsync("/api/v1/services", content);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services/default/api-yaml");
        get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/yaml"));
        using var response = await http.SendAsync(get);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        var read = ResourceYaml.Read(await response.Content.ReadAsStringAsync());
        var service = Assert.IsType<Service>(Assert.Single(read.Resources));
        Assert.Equal(7000, service.Port);
        Assert.Equal(1, service.Metadata.Version);
    }

    [Fact]
    public async Task Validate_InvalidResource_ReportsIssuesAndWritesNothing()
    {
        using var http = await portal.ApiClientAsync("Viewer");
        using var response = await http.PostAsync("/api/v1/services/validate", Json(Samples.Service("api-validate", port: 0)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(body.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains(body.RootElement.GetProperty("issues").EnumerateArray(), i => i.GetProperty("path").GetString() == "port");
        Assert.Null(await StoredAsync(new ResourceKey(ResourceKind.Service, "default", "api-validate")));
    }

    [Fact]
    public async Task Delete_WithCurrentIfMatch_Returns204AndAudits()
    {
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services", Json(Samples.Service("api-delete")))).EnsureSuccessStatusCode();
        using var noPrecondition = await http.DeleteAsync("/api/v1/services/default/api-delete");
        Assert.Equal(HttpStatusCode.PreconditionRequired, noPrecondition.StatusCode);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/services/default/api-delete");
        delete.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        using var response = await http.SendAsync(delete);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(await StoredAsync(new ResourceKey(ResourceKind.Service, "default", "api-delete")));
        var entries = await AuditForAsync("api-delete");
        Assert.Equal([ChangeAction.Delete, ChangeAction.Create], entries.Select(e => e.Action));
    }

    [Fact]
    public async Task Revert_ToEarlierVersion_RestoresExactContentAsNewVersion()
    {
        using var http = await portal.ApiClientAsync("Operator");
        var original = Samples.Service("api-revert", "default", 8080, "v1", "v2") with { Description = "the original" };
        (await http.PostAsync("/api/v1/services", Json(original))).EnsureSuccessStatusCode();
        using var edit = new HttpRequestMessage(HttpMethod.Put, "/api/v1/services/default/api-revert")
        { Content = Json(Samples.Service("api-revert", "default", 9999, "v1")) };
        edit.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        (await http.SendAsync(edit)).EnsureSuccessStatusCode();

        using var stale = new HttpRequestMessage(HttpMethod.Post, "/api/v1/services/default/api-revert/revert")
        { Content = new StringContent("""{"toVersion":1}""", Encoding.UTF8, "application/json") };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        Assert.Equal(HttpStatusCode.Conflict, (await http.SendAsync(stale)).StatusCode);

        using var revert = new HttpRequestMessage(HttpMethod.Post, "/api/v1/services/default/api-revert/revert")
        { Content = new StringContent("""{"toVersion":1}""", Encoding.UTF8, "application/json") };
        revert.Headers.IfMatch.Add(new EntityTagHeaderValue("\"2\""));
        using var response = await http.SendAsync(revert);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await StoredAsync(original.Key);
        Assert.Equal(3, stored!.Resource.Metadata.Version);
        Assert.Equal(MeshworkJson.Canonical(original with { Metadata = original.Metadata with { Version = 3 } }), MeshworkJson.Canonical(stored.Resource));
        var newest = (await AuditForAsync("api-revert"))[0];
        Assert.Equal(ChangeAction.Revert, newest.Action);
    }

    [Fact]
    public async Task Viewer_CreateService_Returns403AndWritesNothing()
    {
        using var http = await portal.ApiClientAsync("Viewer");
        using var response = await http.PostAsync("/api/v1/services", Json(Samples.Service("api-viewer")));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await StoredAsync(new ResourceKey(ResourceKind.Service, "default", "api-viewer")));
    }

    [Fact]
    public async Task ApplyBatch_OperatorWithAccessPolicy_Returns403AndWritesNothing()
    {
        using var http = await portal.ApiClientAsync("Operator");
        var yaml = Samples.ServiceYaml("api-batch-svc") + "\n---\nkind: AccessPolicy\nmetadata:\n  name: api-batch-deny\naction: deny\n";
        using var response = await http.PostAsync("/api/v1/apply", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await StoredAsync(new ResourceKey(ResourceKind.Service, "default", "api-batch-svc")));
    }

    [Fact]
    public async Task OpenApiDocument_ListsResourceEndpoints()
    {
        using var http = portal.CreateClient();
        var document = await http.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/v1/services/{namespace}/{name}", document);
        Assert.Contains("/api/v1/audit/verify", document);
        using var json = JsonDocument.Parse(document);
        var scheme = json.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("meshwork-oauth2");
        Assert.Equal("/connect/token", scheme.GetProperty("flows").GetProperty("clientCredentials").GetProperty("tokenUrl").GetString());
    }
}
