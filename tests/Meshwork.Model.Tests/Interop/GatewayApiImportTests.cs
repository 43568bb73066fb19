using Meshwork.Model.Interop;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Gateway API HTTPRoute v1, field by field (Fixtures/gateway-api-httproute.yaml, from apis/v1/httproute_types.go).</summary>
public class GatewayApiImportTests
{
    private static readonly ImportResult Result = Fixtures.Import("gateway-api-httproute.yaml");
    private static HttpRoute Route => Result.Single<HttpRoute>("reviews");

    [Fact]
    public void Deployment_InTheSameFile_IsSkippedWithANote_NotAnError()
    {
        Assert.Contains("Deployment", Result.At("[0]", InteropSeverity.Note).Message);
        Assert.Empty(Result.Errors);
    }

    [Fact]
    public void Metadata_KeepsNameNamespaceLabels_WarnsAboutAnnotations_IgnoresServerBookkeeping()
    {
        Assert.Equal(("reviews", "books"), (Route.Metadata.Name, Route.Metadata.Namespace));
        Assert.Equal("books", Route.Metadata.Labels["team"]);
        Result.At("[1].metadata.annotations[\"owner\"]");
        Result.NothingAt("[1].metadata.uid");
        Result.NothingAt("[1].status");
    }

    [Fact]
    public void ParentRefs_ServiceIsGamma_GatewayIsTheDefaultKind_SectionNameWarned()
    {
        Assert.Equal(new ParentRef { Kind = ParentKind.Service, Name = "reviews" }, Route.ParentRefs[0]);
        Assert.Equal(new ParentRef { Kind = ParentKind.Gateway, Name = "edge", Namespace = "gateways" }, Route.ParentRefs[1]);
        Result.At("[1].spec.parentRefs[1].sectionName");
        Result.NothingAt("[1].spec.parentRefs[0].port");
    }

    [Fact]
    public void Hostnames_AreKept() => Assert.Equal(["reviews.example.com", "*.books.example.com"], Route.Hostnames);

    [Fact]
    public void Matches_PathDefaultsToPathPrefix_HeaderAndQueryTypesDefaultToExact()
    {
        var testers = Route.Rules[0];
        Assert.Equal("testers", testers.Name);
        var first = testers.Matches[0];
        Assert.Equal(new PathMatch { Type = PathMatchType.Exact, Value = "/reviews/special" }, first.Path);
        Assert.Equal("GET", first.Method);
        Assert.Equal(new HeaderMatch { Type = StringMatchType.Exact, Name = "x-user", Value = "jason" }, first.Headers[0]);
        Assert.Equal(new HeaderMatch { Type = StringMatchType.RegularExpression, Name = "x-team", Value = "qa-.*" }, first.Headers[1]);
        Assert.Equal(new QueryParamMatch { Type = StringMatchType.Exact, Name = "debug", Value = "true" }, first.QueryParams[0]);
        Assert.Equal(StringMatchType.RegularExpression, first.QueryParams[1].Type);
        // path without type: PathPrefix; a match without path: every path (the spec's "/" default).
        Assert.Equal(new PathMatch { Type = PathMatchType.PathPrefix, Value = "/reviews" }, testers.Matches[1].Path);
        Assert.Null(testers.Matches[2].Path);
        Assert.Empty(Route.Rules[3].Matches);
    }

    [Fact]
    public void Filters_EveryCoreType_TranslatesAndExtensionRefIsWarned()
    {
        var filters = Route.Rules[0].Filters;
        Assert.Equal(
            [HttpRouteFilterType.RequestHeaderModifier, HttpRouteFilterType.ResponseHeaderModifier, HttpRouteFilterType.RequestMirror, HttpRouteFilterType.UrlRewrite],
            filters.Select(f => f.Type));
        var request = filters[0].RequestHeaderModifier!;
        Assert.Equal(("x-route", "testers"), (request.Set[0].Name, request.Set[0].Value));
        Assert.Equal(("x-added", "1"), (request.Add[0].Name, request.Add[0].Value));
        Assert.Equal(["x-internal"], request.Remove);
        Assert.Equal("no-store", filters[1].ResponseHeaderModifier!.Set[0].Value);
        Assert.Equal(("reviews-shadow", 25.0), (filters[2].RequestMirror!.BackendRef.Service, filters[2].RequestMirror!.Percent));
        Assert.Equal(new UrlRewrite { Hostname = "reviews.internal", Path = new PathModifier { Type = PathModifierType.ReplaceFullPath, Value = "/v2/reviews" } }, filters[3].UrlRewrite);
        Assert.Contains("ExtensionRef", Result.At("[1].spec.rules[0].filters[4]").Message);
    }

    [Fact]
    public void Mirror_FractionIsAPercentage_AndPrefixRewriteKeepsItsType()
    {
        var split = Route.Rules[1];
        Assert.Equal(new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = "/v1" }, split.Filters[0].UrlRewrite!.Path);
        Assert.Equal(25, split.Filters[1].RequestMirror!.Percent);
    }

    [Fact]
    public void Redirect_DefaultsTo302()
    {
        var redirect = Route.Rules[2].Filters[0].RequestRedirect!;
        Assert.Equal(("https", "new.example.com", 8443, 302), (redirect.Scheme, redirect.Hostname, redirect.Port, redirect.StatusCode));
        Assert.Equal(new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = "/new" }, redirect.Path);
        Assert.Empty(Route.Rules[2].BackendRefs);
    }

    [Fact]
    public void BackendRefs_WeightDefaultsTo1_NonServiceKindsAndPerBackendFiltersAreWarned()
    {
        Assert.Equal([("reviews-v1", (string?)null, 90), ("reviews-v3", "books", 1)], Route.Rules[1].BackendRefs.Select(b => (b.Service, b.Namespace, b.Weight)));
        Assert.Contains("Bucket", Result.At("[1].spec.rules[1].backendRefs[2]").Message);
        Result.At("[1].spec.rules[1].backendRefs[1].filters");
        Result.NothingAt("[1].spec.rules[1].backendRefs[2].");
    }

    [Fact]
    public void Timeouts_AreKept_AndZeroDisablesWithANote()
    {
        Assert.Equal(new RouteTimeouts { Request = TimeSpan.FromSeconds(10), BackendRequest = TimeSpan.FromSeconds(2) }, Route.Rules[0].Timeouts);
        Assert.Null(Route.Rules[1].Timeouts);
        Result.At("[1].spec.rules[1].timeouts.request", InteropSeverity.Note);
    }

    [Fact]
    public void FieldsWithoutEquivalent_AreWarnedByPath()
    {
        Result.At("[1].spec.rules[0].retry");
        Result.At("[1].spec.rules[0].sessionPersistence");
    }

    [Fact]
    public void InvalidTranslation_IsAnError_NamingTheResourcePath_AndTheResourceIsLeftOut()
    {
        var result = ManifestImporter.Import("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: bad}
            spec:
              parentRefs: [{kind: Service, group: "", name: reviews}]
              rules:
              - backendRefs: [{name: reviews, port: 80, weight: -1}]
            """);
        Assert.Empty(result.Resources);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("[0] (HttpRoute default/bad)", error.Path);
        Assert.StartsWith("rules[0].backendRefs[0].weight:", error.Message);
    }

    [Fact]
    public void UnknownEnumSpelling_IsAnErrorAtItsPath()
    {
        var result = ManifestImporter.Import("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r}
            spec:
              parentRefs: [{kind: Service, group: "", name: reviews}]
              rules:
              - matches: [{path: {type: Prefix, value: /x}}]
            """);
        Assert.Empty(result.Resources);
        Assert.Contains("PathPrefix", result.At("[0].spec.rules[0].matches[0].path.type", InteropSeverity.Error).Message);
    }
}
