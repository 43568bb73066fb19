using Meshwork.Model.Resources;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Tests.Validation;

/// <summary>Valid resources of every kind; tests change one thing and expect exactly one issue.</summary>
internal static class Valid
{
    public static readonly Service Reviews = new()
    {
        Metadata = new() { Name = "reviews" },
        Versions = [new() { Name = "v1", Labels = new Dictionary<string, string> { ["version"] = "v1" } }, new() { Name = "v2" }],
    };

    public static readonly Service Ratings = new() { Metadata = new() { Name = "ratings" }, Versions = [new() { Name = "v1" }] };

    public static readonly ValidationContext Context = ValidationContext.From([Reviews, Ratings]);

    public static HttpRoute Route(params HttpRouteRule[] rules) => new()
    {
        Metadata = new() { Name = "reviews" },
        ParentRefs = [new() { Name = "reviews" }],
        Rules = rules.Length > 0 ? rules : [Rule()],
    };

    public static HttpRouteRule Rule(params HttpRouteMatch[] matches) => new()
    {
        Matches = matches,
        BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = 90 }, new() { Service = "reviews", Version = "v2", Weight = 10 }],
    };

    public static HttpRouteMatch Prefix(string value) => new() { Path = new() { Type = PathMatchType.PathPrefix, Value = value } };

    public static ResiliencePolicy Resilience => new()
    {
        Metadata = new() { Name = "reviews" },
        Service = "reviews",
        Retries = new(),
        ConnectionPool = new(),
        OutlierDetection = new(),
        HealthCheck = new(),
        RateLimit = new() { MaxTokens = 100, TokensPerFill = 10 },
    };

    public static AccessPolicy Access => new()
    {
        Metadata = new() { Name = "reviews-readers" },
        Service = "reviews",
        Rules =
        [
            new()
            {
                From = [new() { Principals = ["spiffe://cluster.local/ns/default/sa/frontend"], Services = ["productpage"], Namespaces = ["default"] }],
                To = [new() { Methods = ["GET"], Paths = ["/reviews/*"] }],
                When = [new() { Header = "x-tenant", Values = ["acme"] }],
            },
        ],
    };

    public static Rollout Rollout => new()
    {
        Metadata = new() { Name = "reviews" },
        Service = "reviews",
        StableVersion = "v1",
        CanaryVersion = "v2",
        Steps = [new() { Mirror = new() { Percent = 50 } }, new() { SetWeight = 10 }, new() { Pause = new() { Duration = TimeSpan.FromMinutes(1) } }, new() { SetWeight = 50 }, new() { Pause = new() }],
    };

    public static MeshSettings Mesh => new() { Metadata = new() { Name = MeshSettings.SingletonName } };

    public static TcpRoute Tcp => new()
    {
        Metadata = new() { Name = "reviews-tcp" },
        Service = "reviews",
        Port = 15432,
        Rules = [new() { BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = 80 }, new() { Service = "reviews", Version = "v2", Weight = 20 }] }],
    };

    public static IReadOnlyList<Resource> All => [Reviews, Ratings, Route(), Resilience, Access, Rollout, Mesh, Tcp];
}

internal static class ValidationAssert
{
    /// <summary>The result holds exactly this one issue: the rule fired, with this path and message, and nothing else did.</summary>
    public static void Single(ValidationResult result, string path, string message, IssueSeverity severity = IssueSeverity.Error) =>
        Assert.Equal([new ValidationIssue(path, message, severity)], result.Issues);

    public static void Clean(ValidationResult result) => Assert.Empty(result.Issues);
}
