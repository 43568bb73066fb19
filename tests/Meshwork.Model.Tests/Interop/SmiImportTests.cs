using Meshwork.Model.Interop;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>SMI TrafficSplit v1alpha1-v1alpha4 with HTTPRouteGroup matches (Fixtures/smi-trafficsplit.yaml).</summary>
public class SmiImportTests
{
    private static readonly ImportResult Result = Fixtures.Import("smi-trafficsplit.yaml");

    [Fact]
    public void TrafficSplit_RootServiceIsTheParent_BackendsKeepTheirWeights()
    {
        var details = Result.Single<HttpRoute>("details");
        Assert.Equal(new ParentRef { Name = "details" }, details.ParentRefs.Single());
        Assert.Equal([("details-v1", 5000), ("details-v2", 1)], details.Rules.Single().BackendRefs.Select(b => (b.Service, b.Weight)));
    }

    [Fact]
    public void TrafficSplit_V1alpha1QuantityWeights_KeepTheirRatio()
    {
        var ratings = Result.Single<HttpRoute>("ratings");
        Assert.Equal([500, 1000], ratings.Rules.Single().BackendRefs.Select(b => b.Weight));
    }

    [Fact]
    public void TrafficSplit_WithMatches_SplitsOnlyMatchingRequests_OthersGoToTheRootService()
    {
        var route = Result.Single<HttpRoute>("reviews-beta");
        Assert.Equal(2, route.Rules.Count);
        var split = route.Rules[0];
        // pathRegex is anchored at the start only; one match per listed method; "*" is any method.
        Assert.Equal([("GET", "(?:/api).*"), ("POST", "(?:/api).*"), ((string?)null, "/exact")], split.Matches.Select(m => (m.Method, m.Path!.Value)));
        Assert.Equal(new HeaderMatch { Name = "x-beta", Type = StringMatchType.RegularExpression, Value = "1" }, split.Matches[0].Headers.Single());
        Assert.Equal(["reviews-v1", "reviews-v2"], split.BackendRefs.Select(b => b.Service));
        Assert.Equal("reviews", route.Rules[1].BackendRefs.Single().Service);
        Result.At("[0]", InteropSeverity.Note);
    }

    [Fact]
    public void TrafficSplit_NamingAGroupNotInTheImport_IsAnError()
    {
        var result = ManifestImporter.Import("""
            apiVersion: split.smi-spec.io/v1alpha3
            kind: TrafficSplit
            metadata: {name: s}
            spec:
              service: reviews
              matches: [{kind: HTTPRouteGroup, name: missing}]
              backends: [{service: reviews-v1, weight: 1}]
            """);
        Assert.Empty(result.Resources);
        result.At("[0].spec.matches[0].name", InteropSeverity.Error);
    }
}

/// <summary>SMI TrafficTarget with HTTPRouteGroup (Fixtures/smi-trafficsplit.yaml, documents 4 and 5).</summary>
public class SmiTrafficTargetImportTests
{
    private static readonly ImportResult Result = Fixtures.Import("smi-trafficsplit.yaml");

    [Fact]
    public void TrafficTarget_IsAnAllowPolicy_FromTheSourceAccounts_ForEachExpressibleMatch()
    {
        var policy = Result.Single<AccessPolicy>("ratings-from-reviews");
        Assert.Equal((AccessAction.Allow, "ratings"), (policy.Action, policy.Service));
        Assert.Equal(2, policy.Rules.Count);
        Assert.All(policy.Rules, r => Assert.Equal(["*/ns/default/sa/reviews"], r.From.Single().Principals));
        // pathRegex is anchored at the start: a literal is a prefix; ^...$ is exact; "*" methods are any.
        Assert.Equal(["GET"], policy.Rules[0].To.Single().Methods);
        Assert.Equal(["/ratings*"], policy.Rules[0].To.Single().Paths);
        Assert.Equal(["/health"], policy.Rules[1].To.Single().Paths);
        Assert.Empty(policy.Rules[1].To.Single().Methods);
        Assert.Equal(new[] { "*" }, policy.Rules[1].When.Single().Values);
    }

    [Fact]
    public void TrafficTarget_PatternsAccessPoliciesCannotSay_AndTcpRules_AllowNothing()
    {
        Assert.Contains("'fancy'", Result.At("[5].spec.rules[0]").Message);
        Assert.Contains("TCPRoute", Result.At("[5].spec.rules[1]").Message);
    }
}
