using Meshwork.Model.Policy;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Policy;

public sealed class AccessPolicyEvaluatorTests
{
    private static AccessRequest FromWeb(string path = "/", string method = "GET") => new()
    {
        DestinationService = "reviews",
        SourcePrincipal = "spiffe://cluster.local/ns/default/sa/web",
        SourceService = "web",
        SourceNamespace = "default",
        Method = method,
        Path = path,
    };

    private static AccessPolicy Policy(string name, AccessAction action, params AccessRule[] rules) => new()
    {
        Metadata = new ResourceMetadata { Name = name },
        Service = "reviews",
        Action = action,
        Rules = rules,
    };

    private static AccessRule FromServices(params string[] services) => new() { From = [new AccessSource { Services = services }] };

    [Fact]
    public void Evaluate_NoPoliciesPermissive_AllowsByMeshDefault()
    {
        var decision = AccessPolicyEvaluator.Evaluate([], AccessMode.Permissive, FromWeb());
        Assert.True(decision.Allowed);
        Assert.Equal(AccessDecision.MeshDefault, decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_NoPoliciesDefaultDeny_DeniesByMeshDefault()
    {
        var decision = AccessPolicyEvaluator.Evaluate([], AccessMode.DefaultDeny, FromWeb());
        Assert.False(decision.Allowed);
        Assert.Equal(AccessDecision.MeshDefault, decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_DenyAndAllowBothMatch_DenyWins()
    {
        var policies = new[] { Policy("allow-web", AccessAction.Allow, FromServices("web")), Policy("deny-web", AccessAction.Deny, FromServices("web")) };
        var decision = AccessPolicyEvaluator.Evaluate(policies, AccessMode.Permissive, FromWeb());
        Assert.False(decision.Allowed);
        Assert.Equal("deny-web", decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_AllowPolicyExistsButDoesNotMatch_DeniesEvenWhenPermissive()
    {
        var decision = AccessPolicyEvaluator.Evaluate([Policy("allow-admin", AccessAction.Allow, FromServices("admin"))], AccessMode.Permissive, FromWeb());
        Assert.False(decision.Allowed);
        Assert.Equal(AccessDecision.NoAllowMatched, decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_AllowMatchesInDefaultDenyMesh_AllowsNamingThePolicy()
    {
        var decision = AccessPolicyEvaluator.Evaluate([Policy("allow-web", AccessAction.Allow, FromServices("web"))], AccessMode.DefaultDeny, FromWeb());
        Assert.True(decision.Allowed);
        Assert.Equal("allow-web", decision.DecidedBy);
    }

    [Theory]
    [InlineData("/admin/users", "DELETE", false)]
    [InlineData("/admin/users", "GET", true)]
    [InlineData("/public", "DELETE", true)]
    public void Evaluate_DenyOnMethodAndPathPrefix_DeniesOnlyWhenBothMatch(string path, string method, bool allowed)
    {
        var deny = Policy("no-admin-delete", AccessAction.Deny, new AccessRule { To = [new AccessOperation { Methods = ["DELETE"], Paths = ["/admin/*"] }] });
        Assert.Equal(allowed, AccessPolicyEvaluator.Evaluate([deny], AccessMode.Permissive, FromWeb(path, method)).Allowed);
    }

    [Fact]
    public void Evaluate_NotPathsExcludesPath_AllowRuleDoesNotMatchThere()
    {
        var allow = Policy("allow-but-secret", AccessAction.Allow, new AccessRule { To = [new AccessOperation { Paths = ["*"], NotPaths = ["/secret"] }] });
        Assert.True(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb("/open")).Allowed);
        Assert.False(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb("/secret")).Allowed);
    }

    [Theory]
    [InlineData("cluster.local/ns/default/sa/web", true)]
    [InlineData("spiffe://cluster.local/ns/default/sa/web", true)]
    [InlineData("*/ns/default/sa/web", true)]
    [InlineData("cluster.local/ns/default/*", true)]
    [InlineData("cluster.local/ns/other/sa/web", false)]
    public void Evaluate_PrincipalPatterns_MatchIstioAndSpiffeForms(string principal, bool allowed)
    {
        var allow = Policy("by-principal", AccessAction.Allow, new AccessRule { From = [new AccessSource { Principals = [principal] }] });
        Assert.Equal(allowed, AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb()).Allowed);
    }

    [Fact]
    public void Evaluate_UnauthenticatedCaller_NeverMatchesSourceClause()
    {
        var allow = Policy("allow-web", AccessAction.Allow, FromServices("*"));
        var anonymous = FromWeb() with { SourcePrincipal = null, SourceService = null, SourceNamespace = null };
        Assert.False(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, anonymous).Allowed);
    }

    [Fact]
    public void Evaluate_WhenHeaderCondition_RequiresOneOfTheValues()
    {
        var allow = Policy("beta-only", AccessAction.Allow, new AccessRule { When = [new AccessCondition { Header = "x-user", Values = ["beta-*"] }] });
        var withHeader = FromWeb() with { Header = name => name == "x-user" ? "beta-42" : null };
        Assert.True(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, withHeader).Allowed);
        Assert.False(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb()).Allowed);
    }

    [Fact]
    public void Evaluate_PolicyForAnotherService_IsIgnored()
    {
        var deny = Policy("deny-all", AccessAction.Deny, new AccessRule()) with { Service = "ratings" };
        Assert.True(AccessPolicyEvaluator.Evaluate([deny], AccessMode.Permissive, FromWeb()).Allowed);
    }

    [Fact]
    public void Evaluate_NamespaceWidePolicy_SelectsEveryServiceInNamespace()
    {
        var deny = Policy("deny-all", AccessAction.Deny, new AccessRule()) with { Service = null };
        var decision = AccessPolicyEvaluator.Evaluate([deny], AccessMode.Permissive, FromWeb());
        Assert.False(decision.Allowed);
        Assert.Equal("deny-all", decision.DecidedBy);
    }

    [Fact]
    public void ParseSpiffeId_WellFormed_ReturnsNamespaceAndService()
    {
        Assert.Equal(("shop", "cart"), AccessRequest.ParseSpiffeId("spiffe://cluster.local/ns/shop/sa/cart"));
        Assert.Equal((null, null), AccessRequest.ParseSpiffeId("https://example.com/x"));
    }

    private static AccessRule ToPaths(string[] paths, string[]? notPaths = null) => new() { To = [new AccessOperation { Paths = paths, NotPaths = notPaths ?? [] }] };

    [Theory]
    [InlineData("/Admin")]
    [InlineData("/ADMIN/keys")]
    [InlineData("/aDmIn")]
    public void Evaluate_DenyPaths_IgnoreCase_SoCaseCannotBypassADeny(string path)
    {
        var deny = Policy("no-admin", AccessAction.Deny, ToPaths(["/admin", "/admin/*"]));
        var decision = AccessPolicyEvaluator.Evaluate([deny], AccessMode.Permissive, FromWeb(path));
        Assert.False(decision.Allowed);
        Assert.Equal("no-admin", decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_AllowPaths_RespectCase_SoCaseCannotWinAnAllow()
    {
        var allow = Policy("public-only", AccessAction.Allow, ToPaths(["/public/*"]));
        Assert.True(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb("/public/x")).Allowed);
        var decision = AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb("/PUBLIC/x"));
        Assert.False(decision.Allowed);
        Assert.Equal(AccessDecision.NoAllowMatched, decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_DenyNotPaths_RespectCase_SoOnlyTheExactExceptionEscapesTheDeny()
    {
        var deny = Policy("only-health", AccessAction.Deny, ToPaths(["*"], ["/health"]));
        Assert.True(AccessPolicyEvaluator.Evaluate([deny], AccessMode.Permissive, FromWeb("/health")).Allowed);
        Assert.False(AccessPolicyEvaluator.Evaluate([deny], AccessMode.Permissive, FromWeb("/HEALTH")).Allowed);
    }

    [Fact]
    public void Evaluate_AllowNotPaths_IgnoreCase_SoCaseCannotSlipPastAnExclusion()
    {
        var allow = Policy("all-but-admin", AccessAction.Allow, ToPaths(["*"], ["/admin*"]));
        Assert.True(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb("/orders")).Allowed);
        Assert.False(AccessPolicyEvaluator.Evaluate([allow], AccessMode.Permissive, FromWeb("/Admin/keys")).Allowed);
    }
}
