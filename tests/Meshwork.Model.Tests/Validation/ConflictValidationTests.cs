using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

/// <summary>Conflicts between resources: kinds that allow one resource per service or per gateway host name.</summary>
public class ConflictValidationTests
{
    private const string ResilienceWhy = "a service takes its client settings from one policy (as Istio applies one DestinationRule per host); change that policy, or delete it first";
    private const string RolloutWhy = "one rollout at a time moves a service's traffic (as in Flagger and Argo Rollouts); delete that rollout first";
    private const string HostnameWhy = "a host name on a gateway belongs to one route: move these rules into that route, or use another host name";

    private static readonly Service StagingReviews = Valid.Reviews with { Metadata = new() { Name = "reviews", Namespace = "staging" } };

    private static ValidationResult Validate(Resource resource, params Resource[] stored) =>
        ResourceValidator.Validate(resource, ValidationContext.From([Valid.Reviews, Valid.Ratings, StagingReviews, .. stored]));

    private static ResiliencePolicy Policy(string name, string service = "reviews", string ns = ResourceMetadata.DefaultNamespace) =>
        Valid.Resilience with { Metadata = new() { Name = name, Namespace = ns }, Service = service };

    private static Rollout Rollout(string name, string ns = ResourceMetadata.DefaultNamespace) =>
        Valid.Rollout with { Metadata = new() { Name = name, Namespace = ns } };

    private static HttpRoute GatewayRoute(string name, string[] hostnames, string gateway = "ingress", string ns = ResourceMetadata.DefaultNamespace, string? gatewayNamespace = null) =>
        Valid.Route() with
        {
            Metadata = new() { Name = name, Namespace = ns },
            ParentRefs = [new() { Kind = ParentKind.Gateway, Name = gateway, Namespace = gatewayNamespace }],
            Hostnames = hostnames,
            Rules = [Valid.Rule() with { BackendRefs = [new() { Service = "reviews", Namespace = ResourceMetadata.DefaultNamespace, Version = "v1" }] }],
        };

    [Fact]
    public void Resilience_Rejects_SecondPolicyForTheSameService() =>
        Single(Validate(Policy("reviews-strict"), Policy("reviews-default")),
            "service", $"service 'reviews' already has ResiliencePolicy 'reviews-default'; {ResilienceWhy}");

    [Fact]
    public void Resilience_NamesTheFirstRivalByName_WhenSeveralExist() =>
        Single(Validate(Policy("reviews-strict"), Policy("reviews-z"), Policy("reviews-a")),
            "service", $"service 'reviews' already has ResiliencePolicy 'reviews-a'; {ResilienceWhy}");

    [Fact]
    public void Resilience_Accepts_PolicyForAnotherService() =>
        Clean(Validate(Policy("reviews-strict"), Policy("ratings", service: "ratings")));

    [Fact]
    public void Resilience_Accepts_UpdateOfItself() =>
        Clean(Validate(Policy("reviews") with { Retries = new() { Attempts = 5 } }, Policy("reviews") with { Metadata = new() { Name = "reviews", Version = 3 } }));

    [Fact]
    public void Resilience_Accepts_SameNameAndServiceInAnotherNamespace() =>
        Clean(Validate(Policy("reviews"), Policy("reviews", ns: "staging"), Policy("reviews-other", ns: "staging")));

    [Fact]
    public void Rollout_Rejects_SecondRolloutForTheSameService() =>
        Single(Validate(Rollout("reviews-v2"), Rollout("reviews")),
            "service", $"service 'reviews' already has Rollout 'reviews'; {RolloutWhy}");

    [Fact]
    public void Rollout_Accepts_UpdateOfItself() =>
        Clean(Validate(Rollout("reviews") with { AutoPromote = false }, Rollout("reviews")));

    [Fact]
    public void Rollout_Accepts_SameNameAndServiceInAnotherNamespace() =>
        Clean(Validate(Rollout("reviews"), Rollout("reviews", ns: "staging"), Rollout("reviews-v2", ns: "staging")));

    [Fact]
    public void Rollout_Accepts_RolloutOfAnotherService() =>
        Clean(Validate(Rollout("reviews"), Valid.Rollout with { Metadata = new() { Name = "ratings" }, Service = "ratings", StableVersion = "v1", CanaryVersion = "v2" }));

    [Fact]
    public void Route_Rejects_HostnameAnotherRouteServesOnTheSameGateway() =>
        Single(Validate(GatewayRoute("shop-v2", ["api.example.com", "shop.example.com"]), GatewayRoute("shop", ["shop.example.com"])),
            "hostnames[1]", $"gateway 'default/ingress' already serves 'shop.example.com' through HttpRoute 'default/shop'; {HostnameWhy}");

    [Fact]
    public void Route_Rejects_SecondRouteWithoutHostnamesOnTheSameGateway() =>
        Single(Validate(GatewayRoute("fallback", []), GatewayRoute("catch-all", [])),
            "hostnames", $"gateway 'default/ingress' already serves every host name (neither route lists hostnames) through HttpRoute 'default/catch-all'; {HostnameWhy}");

    [Fact]
    public void Route_Rejects_RouteFromAnotherNamespaceOnTheSameGateway() =>
        Single(Validate(GatewayRoute("shop", ["shop.example.com"]), GatewayRoute("shop", ["shop.example.com"], ns: "staging", gatewayNamespace: "default")),
            "hostnames[0]", $"gateway 'default/ingress' already serves 'shop.example.com' through HttpRoute 'staging/shop'; {HostnameWhy}");

    [Fact]
    public void Route_Accepts_WildcardAndExactHostnamesOnTheSameGateway() =>
        // The proxy serves an exact name before a wildcard and a wildcard before "*": no chance involved.
        Clean(Validate(GatewayRoute("shop", ["shop.example.com"]), GatewayRoute("wildcard", ["*.example.com"]), GatewayRoute("catch-all", [])));

    [Fact]
    public void Route_Accepts_SameHostnameOnAnotherGateway() =>
        Clean(Validate(GatewayRoute("shop", ["shop.example.com"]), GatewayRoute("shop-internal", ["shop.example.com"], gateway: "internal")));

    [Fact]
    public void Route_Accepts_UpdateOfItself() =>
        Clean(Validate(GatewayRoute("shop", ["shop.example.com", "www.example.com"]), GatewayRoute("shop", ["shop.example.com"])));

    [Fact]
    public void Route_Accepts_SameNameAndHostnameInAnotherNamespacesGateway() =>
        Clean(Validate(GatewayRoute("shop", ["shop.example.com"]), GatewayRoute("shop", ["shop.example.com"], ns: "staging")));

    [Fact]
    public void Route_Accepts_SeveralRoutesForTheSameService()
    {
        // The compiler merges the rules of every route attached to a service, in Gateway API precedence.
        var other = Valid.Route(Valid.Rule(Valid.Prefix("/v2"))) with { Metadata = new() { Name = "reviews-v2" } };
        Clean(Validate(Valid.Route(), other));
    }

    [Fact]
    public void Batch_ReportsBothNewPoliciesForTheSameService()
    {
        var batch = new Resource[] { Policy("reviews-a"), Policy("reviews-b") };
        var result = ResourceValidator.ValidateAll(batch, ValidationContext.From([Valid.Reviews, Valid.Ratings, .. batch]));
        Assert.Equal(
        [
            new ValidationIssue("[0].service", $"service 'reviews' already has ResiliencePolicy 'reviews-b'; {ResilienceWhy}"),
            new ValidationIssue("[1].service", $"service 'reviews' already has ResiliencePolicy 'reviews-a'; {ResilienceWhy}"),
        ], result.Issues);
    }
}
