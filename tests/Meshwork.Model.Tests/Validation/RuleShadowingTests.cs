using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

/// <summary>Shadowing follows the proxy's Gateway API precedence, not just rule order.</summary>
public class RuleShadowingTests
{
    private static ValidationResult Validate(params HttpRouteRule[] rules) => ResourceValidator.Validate(Valid.Route(rules), Valid.Context);

    private static HttpRouteMatch Exact(string value) => new() { Path = new() { Type = PathMatchType.Exact, Value = value } };

    [Fact]
    public void Warns_IdenticalMatchInLaterRule() =>
        Single(Validate(Valid.Rule(Valid.Prefix("/api")), Valid.Rule(Valid.Prefix("/api"))), "rules[1]",
            "this rule can never match: rules[0].matches[0] is tried first and matches every request this rule matches", IssueSeverity.Warning);

    [Fact]
    public void Warns_CatchAllPrefixBeforeRuleWithoutMatches() =>
        Single(Validate(Valid.Rule(Valid.Prefix("/")), Valid.Rule()), "rules[1]",
            "this rule can never match: rules[0].matches[0] is tried first and matches every request this rule matches", IssueSeverity.Warning);

    [Fact]
    public void Warns_RuleWithoutMatchesBeforeIdenticalRule() =>
        Single(Validate(Valid.Rule(), Valid.Rule()), "rules[1]",
            "this rule can never match: rules[0] (no matches: every request) is tried first and matches every request this rule matches", IssueSeverity.Warning);

    [Fact]
    public void Warns_WhenConditionsOfEarlierMatchAreASubset()
    {
        var earlier = new HttpRouteMatch { Path = new() { Value = "/api" }, Headers = [new() { Name = "x-user", Value = "a" }] };
        var later = new HttpRouteMatch { Path = new() { Value = "/api" }, Headers = [new() { Name = "X-User", Value = "a" }, new() { Name = "x-tier", Value = "gold" }] };
        var withMethod = new HttpRouteMatch { Path = new() { Value = "/api" }, Method = "GET", Headers = [new() { Name = "x-user", Value = "a" }] };
        // withMethod outranks earlier (a method beats no method), and earlier does not cover later (fewer headers rank later).
        Clean(Validate(Valid.Rule(earlier), Valid.Rule(later), Valid.Rule(withMethod)));
        var sameHeaders = new HttpRouteMatch { Path = new() { Value = "/api" }, Headers = [new() { Name = "X-USER", Value = "a" }] };
        Single(Validate(Valid.Rule(earlier), Valid.Rule(sameHeaders)), "rules[1]",
            "this rule can never match: rules[0].matches[0] is tried first and matches every request this rule matches", IssueSeverity.Warning);
    }

    [Fact]
    public void Accepts_CatchAllBeforeMoreSpecificRules()
    {
        // Gateway API precedence tries the longer prefix and the exact path first, whatever their order.
        Clean(Validate(Valid.Rule(Valid.Prefix("/")), Valid.Rule(Valid.Prefix("/api")), Valid.Rule(Exact("/health"))));
    }

    [Fact]
    public void Accepts_PrefixDoesNotCoverSiblingSegment() =>
        Clean(Validate(Valid.Rule(Valid.Prefix("/api")), Valid.Rule(Valid.Prefix("/apix"))));

    [Fact]
    public void Accepts_RuleWithOneReachableMatch() =>
        Clean(Validate(Valid.Rule(Valid.Prefix("/a")), Valid.Rule(Valid.Prefix("/a"), Valid.Prefix("/b"))));

    [Fact]
    public void Warns_LaterRuleWhenEveryMatchIsCovered() =>
        Single(Validate(Valid.Rule(Valid.Prefix("/a"), Valid.Prefix("/b")), Valid.Rule(Valid.Prefix("/b"), Valid.Prefix("/a"))), "rules[1]",
            "this rule can never match: rules[0].matches[1] is tried first and matches every request this rule matches", IssueSeverity.Warning);

    [Fact]
    public void Warns_IdenticalExactMatch() =>
        Single(Validate(Valid.Rule(Exact("/a")), Valid.Rule(Exact("/a"))), "rules[1]",
            "this rule can never match: rules[0].matches[0] is tried first and matches every request this rule matches", IssueSeverity.Warning);

    [Fact]
    public void Warns_ExplicitCatchAllLaterShadowsEarlierRuleWithoutMatches() =>
        Single(Validate(Valid.Rule(), Valid.Rule(Valid.Prefix("/"))), "rules[0]",
            "this rule can never match: rules[1].matches[0] is tried first and matches every request this rule matches", IssueSeverity.Warning);
}
