using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class HttpRouteValidationTests
{
    private static ValidationResult Validate(HttpRoute route) => ResourceValidator.Validate(route, Valid.Context);

    private static HttpRouteRule RuleWith(params HttpRouteFilter[] filters) => Valid.Rule() with { Filters = filters };

    // --- references -------------------------------------------------------------------------

    [Fact]
    public void Accepts_BackendWithoutVersion() =>
        Clean(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "ratings" }] })));

    [Fact]
    public void Rejects_UnknownBackendService() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "details" }] })),
            "rules[0].backendRefs[0].service", "unknown service 'details' in namespace 'default'");

    [Fact]
    public void Rejects_BackendServiceInAnotherNamespace() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Namespace = "prod" }] })),
            "rules[0].backendRefs[0].service", "unknown service 'reviews' in namespace 'prod'; there is one in namespace default (set namespace to use it)");

    [Fact]
    public void Rejects_UnknownBackendVersion() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Version = "v3" }] })),
            "rules[0].backendRefs[0].version", "service 'reviews' has no version 'v3'; its versions are v1, v2");

    [Fact]
    public void Rejects_VersionOfServiceWithoutVersions()
    {
        var context = ValidationContext.From([new Service { Metadata = new() { Name = "reviews" } }]);
        var route = Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Version = "v1" }] });
        Single(ResourceValidator.Validate(route, context), "rules[0].backendRefs[0].version", "service 'reviews' has no version 'v1'; it defines no versions");
    }

    [Fact]
    public void Rejects_UnknownParentService() =>
        Single(Validate(Valid.Route() with { ParentRefs = [new() { Name = "details" }] }), "parentRefs[0].name", "unknown service 'details' in namespace 'default'");

    [Fact]
    public void Accepts_GatewayParentWithoutService() =>
        Clean(Validate(Valid.Route() with { ParentRefs = [new() { Kind = ParentKind.Gateway, Name = "ingress" }], Hostnames = ["shop.example.com", "*.example.org"] }));

    [Fact]
    public void Rejects_InvalidHostname() =>
        Single(Validate(Valid.Route() with { Hostnames = ["Shop_Example"] }), "hostnames[0]",
            "'Shop_Example' is not a valid host name: use lowercase DNS labels separated by '.', optionally starting with '*.'");

    [Fact]
    public void Rejects_DuplicateHostname() =>
        Single(Validate(Valid.Route() with { Hostnames = ["a.example.com", "a.example.com"] }), "hostnames[1]", "duplicate hostname 'a.example.com'; hostnames[0] has it too");

    [Fact]
    public void Rejects_UnknownMirrorService() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = new() { Service = "shadow" } } }))),
            "rules[0].filters[0].requestMirror.backendRef.service", "unknown service 'shadow' in namespace 'default'");

    [Fact]
    public void Rejects_UnknownMirrorVersion() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = new() { Service = "ratings", Version = "v2" } } }))),
            "rules[0].filters[0].requestMirror.backendRef.version", "service 'ratings' has no version 'v2'; its versions are v1");

    [Fact]
    public void Rejects_MirrorPercentAbove100() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = new() { Service = "ratings" }, Percent = 100.5 } }))),
            "rules[0].filters[0].requestMirror.percent", "must be a percentage between 0 and 100, was 100.5");

    // --- weights ------------------------------------------------------------------------------

    [Fact]
    public void Accepts_SomeZeroWeights() =>
        Clean(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = 0 }, new() { Service = "reviews", Version = "v2", Weight = 1 }] })));

    [Fact]
    public void Rejects_NegativeWeight() =>
        Single(Validate(Valid.Route(Valid.Rule(), Valid.Rule(Valid.Prefix("/a")) with { BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = -5 }, new() { Service = "reviews", Version = "v2" }] })),
            "rules[1].backendRefs[0].weight", "must not be negative, was -5");

    [Fact]
    public void Rejects_WeightAboveGatewayApiMaximum() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Weight = 1_000_001 }] })),
            "rules[0].backendRefs[0].weight", "must be at most 1000000, was 1000001");

    [Fact]
    public void Rejects_AllWeightsZero() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = 0 }, new() { Service = "reviews", Version = "v2", Weight = 0 }] })),
            "rules[0].backendRefs", "every weight is 0, so the rule sends no traffic; give at least one backend a positive weight");

    [Fact]
    public void Rejects_DuplicateBackend() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Version = "v1" }, new() { Service = "reviews", Version = "v1" }] })),
            "rules[0].backendRefs[1]", "duplicate backend 'default/reviews/v1'; rules[0].backendRefs[0] has it too");

    [Fact]
    public void Warns_RuleWithoutBackendsOrRedirect() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [] })), "rules[0].backendRefs",
            "the rule has no backendRefs and no requestRedirect, so matching requests get 500", IssueSeverity.Warning);

    // --- matches ------------------------------------------------------------------------------

    [Fact]
    public void Accepts_EveryKindOfMatch() =>
        Clean(Validate(Valid.Route(Valid.Rule(
            new HttpRouteMatch { Path = new() { Type = PathMatchType.Exact, Value = "/reviews/1" }, Method = "GET" },
            new HttpRouteMatch { Path = new() { Type = PathMatchType.RegularExpression, Value = "^/reviews/[0-9]+$" } },
            new HttpRouteMatch
            {
                Headers = [new() { Name = "x-user", Value = "jason" }, new() { Name = "x-tier", Type = StringMatchType.RegularExpression, Value = "gold|silver" }],
                QueryParams = [new() { Name = "debug", Value = "" }],
            }))));

    [Theory]
    [InlineData(PathMatchType.Exact)]
    [InlineData(PathMatchType.PathPrefix)]
    public void Rejects_PathNotStartingWithSlash(PathMatchType type) =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Path = new() { Type = type, Value = "reviews" } }))),
            "rules[0].matches[0].path.value", "must start with '/', was 'reviews'");

    [Fact]
    public void Rejects_InvalidPathRegex()
    {
        var result = Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Path = new() { Type = PathMatchType.RegularExpression, Value = "/reviews/(" } })));
        var issue = Assert.Single(result.Issues);
        Assert.Equal("rules[0].matches[0].path.value", issue.Path);
        Assert.StartsWith("not a valid regular expression: ", issue.Message);
    }

    [Fact]
    public void Rejects_BackreferenceInPathRegex()
    {
        var issue = Assert.Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Path = new() { Type = PathMatchType.RegularExpression, Value = "^/(a+)/\\1$" } }))).Issues);
        Assert.Equal("rules[0].matches[0].path.value", issue.Path);
        Assert.StartsWith("the regular expression uses a construct that linear-time matching cannot run", issue.Message);
        Assert.Contains("backreference", issue.Message);
    }

    [Fact]
    public void Rejects_LookaheadInHeaderRegex()
    {
        var issue = Assert.Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Headers = [new() { Name = "x-id", Type = StringMatchType.RegularExpression, Value = "(?!admin).*" }] }))).Issues);
        Assert.Equal("rules[0].matches[0].headers[0].value", issue.Path);
        Assert.StartsWith("the regular expression uses a construct that linear-time matching cannot run", issue.Message);
    }

    [Fact]
    public void Rejects_AtomicGroupInQueryRegex()
    {
        var issue = Assert.Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { QueryParams = [new() { Name = "q", Type = StringMatchType.RegularExpression, Value = "(?>x+)y" }] }))).Issues);
        Assert.Equal("rules[0].matches[0].queryParams[0].value", issue.Path);
        Assert.StartsWith("the regular expression uses a construct that linear-time matching cannot run", issue.Message);
    }

    [Fact]
    public void Accepts_NestedQuantifierPathRegex() =>
        Assert.Empty(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Path = new() { Type = PathMatchType.RegularExpression, Value = "^/(a+)+$" } }))).Issues);

    [Theory]
    [InlineData("get")]
    [InlineData("FETCH")]
    public void Rejects_UnknownMethod(string method) =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Method = method }))), "rules[0].matches[0].method",
            $"'{method}' is not an HTTP method; use one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH");

    [Fact]
    public void Rejects_InvalidHeaderName() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Headers = [new() { Name = "x user", Value = "a" }] }))), "rules[0].matches[0].headers[0].name",
            "'x user' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~");

    [Fact]
    public void Rejects_DuplicateHeaderMatchIgnoringCase() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Headers = [new() { Name = "x-user", Value = "a" }, new() { Name = "X-User", Value = "b" }] }))),
            "rules[0].matches[0].headers[1].name", "duplicate header match 'X-User' (header names ignore case); rules[0].matches[0].headers[0] has it too");

    [Fact]
    public void Rejects_DuplicateQueryParamMatch() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { QueryParams = [new() { Name = "a", Value = "1" }, new() { Name = "a", Value = "2" }] }))),
            "rules[0].matches[0].queryParams[1].name", "duplicate query parameter match 'a'; rules[0].matches[0].queryParams[0] has it too");

    [Fact]
    public void Rejects_HeaderMatchWithoutValue() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Headers = [new() { Name = "x-user", Value = null! }] }))), "rules[0].matches[0].headers[0].value", "is required");

    [Fact]
    public void Rejects_DuplicateRuleNames() =>
        Single(Validate(Valid.Route(Valid.Rule(Valid.Prefix("/a")) with { Name = "main" }, Valid.Rule(Valid.Prefix("/b")) with { Name = "main" })),
            "rules[1].name", "duplicate rule name 'main'; rules[0] has it too");

    [Fact]
    public void Rejects_NullRule() =>
        Single(Validate(Valid.Route() with { Rules = [Valid.Rule(), null!] }), "rules[1]", "must not be empty");

    // --- filters ------------------------------------------------------------------------------

    private static HttpRouteFilter Rewrite(string path = "/v2") =>
        new() { Type = HttpRouteFilterType.UrlRewrite, UrlRewrite = new() { Path = new() { Type = PathModifierType.ReplacePrefixMatch, Value = path } } };

    private static HttpRouteFilter Redirect(int status = 301) =>
        new() { Type = HttpRouteFilterType.RequestRedirect, RequestRedirect = new() { Scheme = "https", StatusCode = status } };

    [Fact]
    public void Accepts_EveryKindOfFilter() =>
        Clean(Validate(Valid.Route(RuleWith(
            new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = new() { Set = [new() { Name = "x-a", Value = "1" }], Add = [new() { Name = "x-b", Value = "2" }], Remove = ["x-c"] } },
            new HttpRouteFilter { Type = HttpRouteFilterType.ResponseHeaderModifier, ResponseHeaderModifier = new() { Remove = ["server"] } },
            Rewrite(),
            new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = new() { Service = "ratings" }, Percent = 5 } },
            new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = new() { Service = "reviews", Version = "v2" } } }))));

    [Fact]
    public void Accepts_RedirectWithoutBackends() =>
        Clean(Validate(Valid.Route(RuleWith(Redirect()) with { BackendRefs = [] })));

    [Fact]
    public void Rejects_RewriteAndRedirectInOneRule() =>
        Single(Validate(Valid.Route(RuleWith(Rewrite(), Redirect()) with { BackendRefs = [] })), "rules[0].filters[1]",
            "a rule cannot both rewrite the request (urlRewrite) and redirect it (requestRedirect); use one of them");

    [Fact]
    public void Rejects_RedirectWithBackends() =>
        Single(Validate(Valid.Route(RuleWith(Redirect()))), "rules[0].backendRefs",
            "must be empty when the rule has a requestRedirect filter: the redirect answers the request itself");

    [Fact]
    public void Rejects_FilterTypeWithoutItsProperty() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.UrlRewrite }))), "rules[0].filters[0].urlRewrite",
            "is required for a filter of type urlRewrite");

    [Fact]
    public void Rejects_FilterWithPropertyOfAnotherType() =>
        Single(Validate(Valid.Route(RuleWith(Rewrite() with { RequestHeaderModifier = new() { Remove = ["x"] } }))), "rules[0].filters[0].requestHeaderModifier",
            "must not be set on a filter of type urlRewrite; set type to requestHeaderModifier or remove it");

    [Fact]
    public void Rejects_SecondHeaderModifierOfSameKind()
    {
        var modifier = new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = new() { Remove = ["x"] } };
        Single(Validate(Valid.Route(RuleWith(modifier, modifier))), "rules[0].filters[1].type",
            "a rule may have only one requestHeaderModifier filter; filters[0] is one too");
    }

    [Fact]
    public void Rejects_DuplicateHeaderInModifier() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = new() { Set = [new() { Name = "x-a", Value = "1" }, new() { Name = "X-A", Value = "2" }] } }))),
            "rules[0].filters[0].requestHeaderModifier.set[1].name", "duplicate header 'X-A' (header names ignore case); rules[0].filters[0].requestHeaderModifier.set[0] has it too");

    [Fact]
    public void Rejects_EmptyUrlRewrite() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.UrlRewrite, UrlRewrite = new() }))), "rules[0].filters[0].urlRewrite",
            "set hostname, path or both; an empty rewrite changes nothing");

    [Fact]
    public void Rejects_RewritePathNotStartingWithSlash() =>
        Single(Validate(Valid.Route(RuleWith(Rewrite("v2")))), "rules[0].filters[0].urlRewrite.path.value", "must start with '/', was 'v2'");

    [Fact]
    public void Rejects_ReplacePrefixMatchOnExactMatch() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Path = new() { Type = PathMatchType.Exact, Value = "/a" } }) with { Filters = [Rewrite()] })),
            "rules[0].filters[0].urlRewrite.path.type", "replacePrefixMatch needs every match of the rule to be a pathPrefix match");

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public void Accepts_RedirectStatus(int status) => Clean(Validate(Valid.Route(RuleWith(Redirect(status)) with { BackendRefs = [] })));

    [Theory]
    [InlineData(200)]
    [InlineData(304)]
    [InlineData(404)]
    public void Rejects_RedirectStatusThatIsNotARedirect(int status) =>
        Single(Validate(Valid.Route(RuleWith(Redirect(status)) with { BackendRefs = [] })), "rules[0].filters[0].requestRedirect.statusCode",
            $"must be a redirect status: 301, 302, 303, 307 or 308, was {status}");

    [Fact]
    public void Rejects_RedirectPortOutOfRange() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestRedirect, RequestRedirect = new() { Port = 70000 } }) with { BackendRefs = [] })),
            "rules[0].filters[0].requestRedirect.port", "must be a port between 1 and 65535, was 70000");

    [Fact]
    public void Rejects_RedirectSchemeOtherThanHttp() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestRedirect, RequestRedirect = new() { Scheme = "ftp" } }) with { BackendRefs = [] })),
            "rules[0].filters[0].requestRedirect.scheme", "must be http or https, was 'ftp'");

    // --- timeouts and faults ------------------------------------------------------------------

    [Fact]
    public void Accepts_Timeouts() =>
        Clean(Validate(Valid.Route(Valid.Rule() with { Timeouts = new() { Request = TimeSpan.FromSeconds(10), BackendRequest = TimeSpan.FromSeconds(3) } })));

    [Fact]
    public void Rejects_NegativeRequestTimeout() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Timeouts = new() { Request = TimeSpan.FromSeconds(-1) } })), "rules[0].timeouts.request", "must be longer than 0s, was -1s");

    [Fact]
    public void Rejects_ZeroBackendRequestTimeout() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Timeouts = new() { BackendRequest = TimeSpan.Zero } })), "rules[0].timeouts.backendRequest", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_AbsurdlyLongTimeout() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Timeouts = new() { Request = TimeSpan.FromDays(3) } })), "rules[0].timeouts.request", "must be at most 24h, was 72h");

    [Fact]
    public void Rejects_BackendRequestLongerThanRequest() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Timeouts = new() { Request = TimeSpan.FromSeconds(3), BackendRequest = TimeSpan.FromSeconds(5) } })),
            "rules[0].timeouts.backendRequest", "must not exceed timeouts.request (3s), was 5s");

    [Fact]
    public void Accepts_Fault() =>
        Clean(Validate(Valid.Route(Valid.Rule() with { Fault = new() { Delay = new() { FixedDelay = TimeSpan.FromSeconds(2), Percent = 10 }, Abort = new() { HttpStatus = 503, Percent = 0.5 } } })));

    [Fact]
    public void Rejects_EmptyFault() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Fault = new() })), "rules[0].fault", "set delay, abort or both; an empty fault injects nothing");

    [Theory]
    [InlineData(199)]
    [InlineData(600)]
    public void Rejects_AbortStatusOutOfRange(int status) =>
        Single(Validate(Valid.Route(Valid.Rule() with { Fault = new() { Abort = new() { HttpStatus = status } } })), "rules[0].fault.abort.httpStatus",
            $"must be an HTTP status between 200 and 599, was {status}");

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(double.NaN)]
    public void Rejects_FaultPercentOutOfRange(double percent) =>
        Single(Validate(Valid.Route(Valid.Rule() with { Fault = new() { Abort = new() { HttpStatus = 500, Percent = percent } } })), "rules[0].fault.abort.percent",
            $"must be a percentage between 0 and 100, was {(double.IsNaN(percent) ? "NaN" : percent.ToString(System.Globalization.CultureInfo.InvariantCulture))}");

    [Fact]
    public void Rejects_ZeroFaultDelay() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Fault = new() { Delay = new() { FixedDelay = TimeSpan.Zero } } })), "rules[0].fault.delay.fixedDelay", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_FaultDelayLongerThanAnHour() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Fault = new() { Delay = new() { FixedDelay = TimeSpan.FromHours(2) } } })), "rules[0].fault.delay.fixedDelay", "must be at most 1h, was 2h");
}

public class HttpRouteValidationEdgeTests
{
    private static ValidationResult Validate(HttpRoute route) => ResourceValidator.Validate(route, Valid.Context);

    private static HttpRouteRule RuleWith(params HttpRouteFilter[] filters) => Valid.Rule() with { Filters = filters };

    [Fact]
    public void Rejects_ParentNamespaceThatIsNotADnsLabel() =>
        Single(Validate(Valid.Route() with { ParentRefs = [new() { Kind = ParentKind.Gateway, Name = "ingress", Namespace = "Edge" }] }), "parentRefs[0].namespace",
            "'Edge' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Rejects_DuplicateParent() =>
        Single(Validate(Valid.Route() with { ParentRefs = [new() { Name = "reviews" }, new() { Name = "reviews", Namespace = "default" }] }), "parentRefs[1]",
            "duplicate parent 'Service/default/reviews'; parentRefs[0] has it too");

    [Fact]
    public void Rejects_InvalidRewriteHostname() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.UrlRewrite, UrlRewrite = new() { Hostname = "bad host" } }))),
            "rules[0].filters[0].urlRewrite.hostname", "'bad host' is not a valid host name: use lowercase DNS labels separated by '.', optionally starting with '*.'");

    [Fact]
    public void Rejects_InvalidHeaderToRemove() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.ResponseHeaderModifier, ResponseHeaderModifier = new() { Remove = ["ok", "not ok"] } }))),
            "rules[0].filters[0].responseHeaderModifier.remove[1]", "'not ok' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~");

    [Fact]
    public void Rejects_MirrorWithoutBackend() =>
        Single(Validate(Valid.Route(RuleWith(new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = null! } }))),
            "rules[0].filters[0].requestMirror.backendRef", "is required");

    [Fact]
    public void Rejects_NullFilter() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Filters = [null!] })), "rules[0].filters[0]", "must not be empty");

    [Fact]
    public void Rejects_QueryParamWithoutName() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { QueryParams = [new() { Name = "", Value = "1" }] }))), "rules[0].matches[0].queryParams[0].name", "is required");

    [Fact]
    public void Rejects_UndefinedPathMatchType() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Path = new() { Type = (PathMatchType)9, Value = "/" } }))), "rules[0].matches[0].path.type",
            "'9' is not allowed here; use one of exact, pathPrefix, regularExpression");

    [Fact]
    public void Rejects_RuleNameThatIsNotADnsLabel() =>
        Single(Validate(Valid.Route(Valid.Rule() with { Name = "Main Rule" })), "rules[0].name",
            "'Main Rule' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Fact]
    public void Validate_EveryErrorInOneRoute_ReportsEachWithItsPath()
    {
        var route = Valid.Route(
            Valid.Rule(new HttpRouteMatch { Path = new() { Type = PathMatchType.Exact, Value = "x" }, Method = "get" }) with
            {
                BackendRefs = [new() { Service = "nope", Weight = -1 }],
                Timeouts = new() { Request = TimeSpan.Zero },
            });
        Assert.Equal(
            ["rules[0].matches[0].path.value", "rules[0].matches[0].method", "rules[0].backendRefs[0].service", "rules[0].backendRefs[0].weight", "rules[0].timeouts.request"],
            Validate(route).Issues.Select(i => i.Path));
    }
}

/// <summary>Gateway API's maxItems bounds, which also bound the validator's and the proxy's work.</summary>
public class HttpRouteLimitTests
{
    private static ValidationResult Validate(HttpRoute route) => ResourceValidator.Validate(route, Valid.Context);

    [Fact]
    public void Accepts_SixteenRules() =>
        Clean(Validate(Valid.Route([.. Enumerable.Range(0, 16).Select(i => Valid.Rule(Valid.Prefix($"/p{i}")))])));

    [Fact]
    public void Rejects_MoreThanSixteenRules() =>
        Single(Validate(Valid.Route([.. Enumerable.Range(0, 17).Select(i => Valid.Rule(Valid.Prefix($"/p{i}")))])), "rules", "must have at most 16 items, has 17");

    [Fact]
    public void Rejects_MoreThan64Matches() =>
        Single(Validate(Valid.Route(Valid.Rule([.. Enumerable.Range(0, 65).Select(i => Valid.Prefix($"/p{i}"))]))), "rules[0].matches", "must have at most 64 items, has 65");

    [Fact]
    public void Rejects_MoreThanSixteenBackends() =>
        Single(Validate(Valid.Route(Valid.Rule() with { BackendRefs = [.. Enumerable.Range(0, 17).Select(i => new BackendRef { Service = "reviews", Version = "v1", Weight = i })] })),
            "rules[0].backendRefs", "must have at most 16 items, has 17");

    [Fact]
    public void Rejects_MoreThanSixteenHeaderMatches() =>
        Single(Validate(Valid.Route(Valid.Rule(new HttpRouteMatch { Headers = [.. Enumerable.Range(0, 17).Select(i => new HeaderMatch { Name = $"x-{i}", Value = "v" })] }))),
            "rules[0].matches[0].headers", "must have at most 16 items, has 17");

    [Fact]
    public void Validate_LargestRouteWithRegexes_StaysValid()
    {
        // 16 rules x 64 matches, each with a (repeated) regex: the biggest route Gateway API allows.
        var rules = Enumerable.Range(0, 16).Select(r => Valid.Rule([.. Enumerable.Range(0, 64).Select(m => new HttpRouteMatch
        {
            Path = new() { Type = PathMatchType.RegularExpression, Value = $"/r{r}/m{m}/[a-z]+" },
            Headers = [new() { Name = "x-tier", Type = StringMatchType.RegularExpression, Value = "gold|silver" }],
        })]));
        Clean(Validate(Valid.Route([.. rules])));
    }
}
