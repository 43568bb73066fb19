using Meshwork.Model.Interop;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Istio VirtualService (+ DestinationRule subsets), field by field (Fixtures/istio-virtualservice.yaml, from virtual_service.proto).</summary>
public class IstioVirtualServiceImportTests
{
    private static readonly ImportResult Result = Fixtures.Import("istio-virtualservice.yaml");
    private static HttpRoute Route => Result.Single<HttpRoute>("reviews");
    private static HttpRouteRule Rule(string name) => Assert.Single(Route.Rules, r => r.Name == name);

    [Fact]
    public void Hosts_ShortAndFullNamesAreServiceParents_ExternalHostsAreWarned()
    {
        Assert.Equal([new ParentRef { Name = "reviews" }, new ParentRef { Name = "reviews", Namespace = "books" }], Route.ParentRefs);
        Assert.Contains("api.example.com", Result.At("[1].spec.hosts[2]").Message);
        Result.At("[1].spec.exportTo");
        Result.At("[1].spec.tls");
        Result.At("[0]", InteropSeverity.Note);
    }

    [Fact]
    public void TcpRoutes_BecomeATcpRouteBesideTheHttpRoute_OtherServiceHostsAreWarned()
    {
        var tcp = Result.Single<TcpRoute>("reviews");
        Assert.Equal(("reviews", 9081), (tcp.Service, tcp.Port));
        Assert.Equal(new BackendRef { Service = "reviews", Version = "v3", Weight = 100 }, tcp.Rules.Single().BackendRefs.Single());
        Assert.Contains("belongs to 'reviews'", Result.At("[1].spec.hosts[1]").Message);
    }

    [Fact]
    public void Match_UriMethodHeadersQuery_StringMatchPrefixBecomesARegex()
    {
        var match = Rule("jason").Matches.Single();
        Assert.Equal(new PathMatch { Type = PathMatchType.Exact, Value = "/reviews/special" }, match.Path);
        Assert.Equal("GET", match.Method);
        Assert.Equal(new HeaderMatch { Name = "end-user", Value = "jason" }, match.Headers[0]);
        Assert.Equal(new HeaderMatch { Name = "x-team", Type = StringMatchType.RegularExpression, Value = "qa-.*" }, match.Headers[1]);
        Assert.Equal(new QueryParamMatch { Name = "page", Type = StringMatchType.RegularExpression, Value = "[0-9]+" }, match.QueryParams[0]);
    }

    [Theory]
    [InlineData("scheme")]
    [InlineData("authority")]
    [InlineData("port")]
    [InlineData("sourceLabels")]
    [InlineData("gateways")]
    [InlineData("withoutHeaders")]
    [InlineData("sourceNamespace")]
    [InlineData("ignoreUriCase")]
    public void MatchConditionsWithoutEquivalent_AreWarned(string field) => Result.At($"[1].spec.http[0].match[0].{field}");

    [Fact]
    public void Subsets_BecomeVersions_FromTheDestinationRule()
    {
        Assert.Equal(("reviews", "v2", 100), (Rule("jason").BackendRefs[0].Service, Rule("jason").BackendRefs[0].Version, Rule("jason").BackendRefs[0].Weight));
        var service = Result.Single<Service>("reviews");
        Assert.Equal(["v1", "v2", "v3"], service.Versions.Select(v => v.Name));
        Assert.Equal("v3", service.Versions[2].Labels["version"]);
    }

    [Fact]
    public void Subsets_MapToTheStoredVersionWithTheSameLabels()
    {
        var stored = new Service
        {
            Metadata = new() { Name = "reviews" },
            Port = 9080,
            Versions = [new() { Name = "stable", Labels = new Dictionary<string, string> { ["version"] = "v1" } }],
        };
        Service Other(string name, string ns = "default") => new() { Metadata = new() { Name = name, Namespace = ns }, Versions = [new() { Name = "v3" }] };
        var result = Fixtures.Import("istio-virtualservice.yaml", [stored, Other("reviews-shadow"), Other("reviews", "books")]);
        var route = result.Single<HttpRoute>("reviews");
        Assert.Equal("stable", route.Rules.Single(r => r.Name == "default").BackendRefs[0].Version);
        Assert.Equal(9080, result.Single<Service>("reviews").Port);
    }

    [Fact]
    public void Weights_SplitAsWritten_ASingleDestinationTakesEverything()
    {
        Assert.Equal([75, 25], Rule("api").BackendRefs.Select(b => b.Weight));
        Assert.Equal(100, Rule("default").BackendRefs.Single().Weight);
    }

    [Fact]
    public void Headers_RouteAndSingleDestinationHeaders_BecomeFilters_SplitDestinationHeadersAreWarned()
    {
        var jason = Rule("jason");
        Assert.Equal(["x-served-by"], jason.Filters.Single(f => f.Type == HttpRouteFilterType.ResponseHeaderModifier).ResponseHeaderModifier!.Add.Select(h => h.Name));
        Assert.Equal(["server"], jason.Filters.Single(f => f.Type == HttpRouteFilterType.ResponseHeaderModifier).ResponseHeaderModifier!.Remove);
        Assert.Equal("jason", jason.Filters.Single(f => f.Type == HttpRouteFilterType.RequestHeaderModifier).RequestHeaderModifier!.Set[0].Value);
        Result.At("[1].spec.http[1].route[1].headers");
    }

    [Fact]
    public void Fault_DeprecatedIntegerPercentAndPercentage_BothRead_AndTheRouteLosesItsTimeoutAsInIstio()
    {
        var jason = Rule("jason");
        Assert.Equal(new FaultDelay { FixedDelay = TimeSpan.FromSeconds(5), Percent = 10 }, jason.Fault!.Delay);
        Assert.Equal(new FaultAbort { HttpStatus = 503, Percent = 0.5 }, jason.Fault.Abort);
        Assert.Null(jason.Timeouts);
        Result.At("[1].spec.http[0].timeout");
    }

    [Fact]
    public void Fault_WithoutPercentage_InjectsIntoNoRequest_AsIstioDocuments()
    {
        var result = ManifestImporter.Import("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: r}
            spec:
              hosts: [ratings]
              http:
              - route: [{destination: {host: ratings}}]
                fault:
                  abort: {httpStatus: 500}
            """);
        Assert.Equal(0, result.Single<HttpRoute>("r").Rules[0].Fault!.Abort!.Percent);
        Assert.Contains("no request is aborted", result.At("[0].spec.http[0].fault.abort").Message);
    }

    [Fact]
    public void PrefixWithRewrite_IsAPathPrefix_AndTheRewriteReplacesTheMatchedPrefix()
    {
        var api = Rule("api");
        Assert.Equal(new PathMatch { Type = PathMatchType.PathPrefix, Value = "/api" }, api.Matches[0].Path);
        Assert.Equal(new UrlRewrite { Hostname = "reviews.internal", Path = new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = "/v1" } },
            api.Filters.Single(f => f.Type == HttpRouteFilterType.UrlRewrite).UrlRewrite);
        Result.At("[1].spec.http[1].match[0].uri.prefix");
    }

    [Fact]
    public void PrefixWithoutRewrite_IsTheSameStringPrefix_AsARegularExpression()
    {
        Assert.Equal(new PathMatch { Type = PathMatchType.RegularExpression, Value = "/old.*" }, Rule("moved").Matches[0].Path);
        Assert.Equal(new PathMatch { Type = PathMatchType.RegularExpression, Value = "/static/.*" }, Rule("static").Matches[0].Path);
    }

    [Fact]
    public void Retries_BecomeTheServicesResiliencePolicy_WithIstioConditionsMapped()
    {
        var policy = Assert.Single(Result.Resources.OfType<ResiliencePolicy>(), p => p.Metadata.Namespace == "default");
        var retries = policy.Retries!;
        Assert.Equal(3, retries.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(2), retries.PerTryTimeout);
        Assert.Equal(["gateway-error", "connect-failure", "reset", "retriable-status-codes"], retries.RetryOn);
        Assert.Equal([503], retries.RetriableStatusCodes);
        Assert.Equal(TimeSpan.FromMilliseconds(50), retries.BackoffBase);
        Assert.Contains("retriable-4xx", Result.At("[1].spec.http[1].retries.retryOn").Message);
        Result.At("[1].spec.http[1].retries.retryRemoteLocalities");
        // Routes to the same service that set no retries get a warning: Istio would retry them twice.
        Result.At("[1].spec.http[2].retries");
    }

    [Fact]
    public void Retries_Unset_AreIstiosDefault_AttemptsZeroDisables()
    {
        var result = ManifestImporter.Import("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: r}
            spec:
              hosts: [ratings]
              http:
              - route: [{destination: {host: ratings}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: d}
            spec:
              hosts: [details]
              http:
              - route: [{destination: {host: details}}]
                retries: {attempts: 0}
            """);
        var ratings = result.Single<ResiliencePolicy>("ratings").Retries!;
        Assert.Equal(2, ratings.Attempts);
        Assert.Equal(["connect-failure", "reset", "unavailable", "cancelled"], ratings.RetryOn);
        Assert.DoesNotContain(result.Resources, r => r is ResiliencePolicy { Service: "details" });
    }

    [Fact]
    public void Mirror_DeprecatedMirrorPercent_MirrorPercentage_AndMirrors_AllRead()
    {
        Assert.Equal(("reviews", "v3", 20.0), Mirror(Rule("api")));
        Assert.Equal(("reviews-shadow", (string?)null, 5.0), Mirror(Rule("default")));
        Assert.Equal(("reviews-shadow", (string?)null, 12.5), Mirror(Rule("static")));

        static (string, string?, double) Mirror(HttpRouteRule rule)
        {
            var mirror = rule.Filters.Single(f => f.Type == HttpRouteFilterType.RequestMirror).RequestMirror!;
            return (mirror.BackendRef.Service, mirror.BackendRef.Version, mirror.Percent);
        }
    }

    [Fact]
    public void Redirect_DefaultsToIstios301()
    {
        var redirect = Rule("moved").Filters.Single().RequestRedirect!;
        Assert.Equal(("https", "new.example.com", 8443, 301), (redirect.Scheme, redirect.Hostname, redirect.Port, redirect.StatusCode));
        Assert.Equal(new PathModifier { Type = PathModifierType.ReplaceFullPath, Value = "/new" }, redirect.Path);
    }

    [Fact]
    public void DirectResponseDelegateAndCors_AreWarned_AndRoutesWithoutEquivalentAreLeftOut()
    {
        Result.At("[1].spec.http[4].directResponse");
        Result.At("[1].spec.http[5].delegate");
        Result.At("[1].spec.http[0].corsPolicy");
        Assert.DoesNotContain(Route.Rules, r => r.Name is "teapot" or "delegated");
        Result.NothingAt("[1].spec.http[4].name");
    }

    [Fact]
    public void RouteAfterACatchAll_IstioNeverReachesIt_IsLeftOut()
    {
        Assert.DoesNotContain(Route.Rules, r => r.Name == "never");
        Assert.Contains("[1].spec.http[6]", Result.At("[1].spec.http[7]").Message);
    }

    [Fact]
    public void LaterRouteThatGatewayPrecedenceTriesFirst_IsWarned()
    {
        var result = ManifestImporter.Import("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: r}
            spec:
              hosts: [ratings]
              http:
              - match: [{headers: {x-beta: {exact: "1"}}}]
                route: [{destination: {host: ratings, subset: v2}}]
              - match: [{uri: {exact: /ratings}}]
                route: [{destination: {host: ratings, subset: v1}}]
              - match: [{uri: {exact: /other}, method: {exact: GET}}]
                route: [{destination: {host: ratings, subset: v1}}]
            """);
        Assert.Contains("[0].spec.http[0]", result.At("[0].spec.http[1]").Message);
        Assert.Contains("[0].spec.http[0]", result.At("[0].spec.http[2]").Message);
    }

    [Fact]
    public void UnknownSubset_IsAnError_BecauseIstioWouldAnswer503()
    {
        var result = ManifestImporter.Import("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings}
            spec:
              host: ratings
              subsets: [{name: v1, labels: {version: v1}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: r}
            spec:
              hosts: [ratings]
              http:
              - route: [{destination: {host: ratings, subset: v9}}]
            """);
        Assert.Contains("no subset 'v9'", result.At("[1].spec.http[0].route[0].destination.subset", InteropSeverity.Error).Message);
        Assert.DoesNotContain(result.Resources, r => r is HttpRoute);
    }

    [Fact]
    public void Gateway_MakesNoResource_AndBoundRoutesNameItAsParent()
    {
        var result = Fixtures.Import("istio-gateway.yaml");
        Assert.Contains("makes no resource", result.At("[0]", InteropSeverity.Note).Message);
        result.At("[0].spec.servers[0].tls");
        var shop = result.Single<HttpRoute>("shop");
        Assert.Equal(new ParentRef { Kind = ParentKind.Gateway, Name = "edge", Namespace = "gateways" }, shop.ParentRefs.Single());
        Assert.Equal(["shop.example.com"], shop.Hostnames);
        Assert.Contains("networking.istio.io/v1alpha3", result.At("[2].apiVersion", InteropSeverity.Error).Message);
    }
}
