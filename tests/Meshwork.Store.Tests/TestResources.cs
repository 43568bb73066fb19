using Meshwork.Model.Resources;

namespace Meshwork.Store.Tests;

/// <summary>Valid resources for store tests: a service with two versions and a route splitting between them.</summary>
internal static class TestResources
{
    public static readonly ChangeActor Alice = new("alice", ChangeSource.Portal);
    public static readonly ChangeActor Bob = new("bob", ChangeSource.Api);

    public static Service Checkout(long version = 0, string description = "checkout") => new()
    {
        Metadata = new ResourceMetadata { Name = "checkout", Labels = new Dictionary<string, string> { ["team"] = "payments" }, Version = version },
        Port = 8081,
        Description = description,
        Versions =
        [
            new ServiceVersion { Name = "v1", Labels = new Dictionary<string, string> { ["version"] = "v1" } },
            new ServiceVersion { Name = "v2", Labels = new Dictionary<string, string> { ["version"] = "v2" } },
        ],
    };

    public static HttpRoute CheckoutRoute(int canaryWeight, long version = 0) => new()
    {
        Metadata = new ResourceMetadata { Name = "checkout-route", Version = version },
        ParentRefs = [new ParentRef { Name = "checkout" }],
        Rules =
        [
            new HttpRouteRule
            {
                Name = "split",
                Matches = [new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.PathPrefix, Value = "/api" }, Method = "GET" }],
                BackendRefs =
                [
                    new BackendRef { Service = "checkout", Version = "v1", Weight = 100 - canaryWeight },
                    new BackendRef { Service = "checkout", Version = "v2", Weight = canaryWeight },
                ],
                Timeouts = new RouteTimeouts { Request = TimeSpan.FromSeconds(10), BackendRequest = TimeSpan.FromSeconds(2) },
            },
        ],
    };

    /// <summary>A route whose only backend is a service nobody stored: the validator must reject it.</summary>
    public static HttpRoute RouteToUnknownService() => new()
    {
        Metadata = new ResourceMetadata { Name = "ghost-route" },
        ParentRefs = [new ParentRef { Name = "checkout" }],
        Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "ghost", Weight = 1 }] }],
    };
}
