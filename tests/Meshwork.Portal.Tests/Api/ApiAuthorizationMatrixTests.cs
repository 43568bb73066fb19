using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Api;

/// <summary>
/// Every /api endpoint against every role, through the real pipeline and real tokens. The table is
/// written out by hand (not derived from the product's policy map) so a wrong rule in the product
/// fails here, and an endpoint added without a row fails <see cref="EveryApiEndpoint_HasARuleInTheTable"/>.
/// </summary>
public sealed class ApiAuthorizationMatrixTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Viewer = "Viewer";
    private const string Operator = "Operator";
    private const string Admin = "Admin";
    private static readonly string[] RolesInOrder = [Viewer, Operator, Admin];

    /// <summary>"METHOD pattern" → the least role that may call it.</summary>
    private static readonly IReadOnlyDictionary<string, string> Rules = BuildRules();

    private static Dictionary<string, string> BuildRules()
    {
        var rules = new Dictionary<string, string>();
        var writeRole = new Dictionary<string, string>
        {
            ["services"] = Operator,
            ["httproutes"] = Operator,
            ["resiliencepolicies"] = Operator,
            ["rollouts"] = Operator,
            ["tcproutes"] = Operator,
            ["accesspolicies"] = Admin,
            ["meshsettings"] = Admin,
        };
        foreach (var (segment, write) in writeRole)
        {
            var root = "/api/v1/" + segment;
            rules[$"GET {root}"] = Viewer;
            rules[$"GET {root}/{{namespace}}/{{name}}"] = Viewer;
            rules[$"GET {root}/{{namespace}}/{{name}}/revisions"] = Viewer;
            rules[$"POST {root}/validate"] = Viewer;
            rules[$"POST {root}"] = write;
            rules[$"PUT {root}/{{namespace}}/{{name}}"] = write;
            rules[$"DELETE {root}/{{namespace}}/{{name}}"] = write;
            rules[$"POST {root}/{{namespace}}/{{name}}/revert"] = write;
        }
        rules["POST /api/v1/apply"] = Operator;
        rules["POST /api/v1/validate"] = Viewer;
        rules["POST /api/v1/import"] = Operator;
        rules["GET /api/v1/export"] = Viewer;
        rules["GET /api/v1/audit"] = Viewer;
        rules["GET /api/v1/audit/export"] = Viewer;
        rules["GET /api/v1/audit/verify"] = Viewer;
        rules["GET /api/v1/rollouts/{namespace}/{name}/status"] = Viewer;
        foreach (var command in new[] { "promote", "pause", "resume", "abort", "retry" })
            rules[$"POST /api/v1/rollouts/{{namespace}}/{{name}}/{command}"] = Operator;
        rules["POST /api/v1/rollouts/{namespace}/{name}/promote-full"] = Admin;
        rules["GET /api/v1/bootstrap-tokens"] = Admin;
        rules["POST /api/v1/bootstrap-tokens"] = Admin;
        rules["DELETE /api/v1/bootstrap-tokens/{id:guid}"] = Admin;
        return rules;
    }

    private IReadOnlyList<string> ApiEndpoints()
    {
        var sources = portal.Services.GetRequiredService<IEnumerable<EndpointDataSource>>();
        var found = new List<string>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            if (!pattern.StartsWith("/api/", StringComparison.Ordinal))
                continue;
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"];
            found.AddRange(methods.Select(m => $"{m} {pattern}"));
        }
        return found;
    }

    [Fact]
    public void EveryApiEndpoint_HasARuleInTheTable()
    {
        var endpoints = ApiEndpoints();
        Assert.True(endpoints.Count >= Rules.Count, $"expected at least {Rules.Count} API endpoints, found {endpoints.Count}");
        var missing = endpoints.Where(e => !Rules.ContainsKey(e)).ToList();
        Assert.True(missing.Count == 0, "API endpoints without an authorization rule in this table: " + string.Join(", ", missing));
        var stale = Rules.Keys.Except(endpoints).ToList();
        Assert.True(stale.Count == 0, "rules for endpoints that no longer exist: " + string.Join(", ", stale));
    }

    [Fact]
    public async Task EveryApiEndpoint_WithoutToken_Returns401()
    {
        using var http = await portal.ApiClientAsync(null);
        var failures = new List<string>();
        foreach (var endpoint in ApiEndpoints())
        {
            using var response = await http.SendAsync(RequestFor(endpoint));
            if (response.StatusCode != HttpStatusCode.Unauthorized)
                failures.Add($"{endpoint}: {(int)response.StatusCode}");
        }
        Assert.True(failures.Count == 0, "expected 401: " + string.Join("; ", failures));
    }

    [Theory]
    [InlineData(Viewer)]
    [InlineData(Operator)]
    [InlineData(Admin)]
    public async Task EveryApiEndpoint_ForRole_IsAllowedOrForbiddenByTheTable(string role)
    {
        using var http = await portal.ApiClientAsync(role);
        var failures = new List<string>();
        foreach (var endpoint in ApiEndpoints())
        {
            var allowed = Array.IndexOf(RolesInOrder, role) >= Array.IndexOf(RolesInOrder, Rules[endpoint]);
            using var response = await http.SendAsync(RequestFor(endpoint));
            var status = response.StatusCode;
            if (allowed && status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                failures.Add($"{endpoint} should be allowed for {role}, got {(int)status}");
            if (!allowed && status != HttpStatusCode.Forbidden)
                failures.Add($"{endpoint} should be 403 for {role}, got {(int)status}");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    /// <summary>A request that reaches the handler when authorized; it must never change anything that matters here.</summary>
    private static HttpRequestMessage RequestFor(string endpoint)
    {
        var (method, pattern) = (endpoint[..endpoint.IndexOf(' ')], endpoint[(endpoint.IndexOf(' ') + 1)..]);
        var path = pattern.Replace("{namespace}", "default").Replace("{name}", "matrix-probe-does-not-exist")
            .Replace("{id:guid}", Guid.Empty.ToString());
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "PUT" or "DELETE" || path.EndsWith("/revert", StringComparison.Ordinal))
            request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        if (method is "POST" or "PUT")
        {
            var body = path.EndsWith("/revert", StringComparison.Ordinal) ? """{"toVersion":1}""" : "{}";
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return request;
    }
}
