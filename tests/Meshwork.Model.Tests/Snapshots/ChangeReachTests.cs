using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.Model.Tests.Snapshots;

public sealed class ChangeReachTests
{
    private static Service Svc(string name) => new() { Metadata = new ResourceMetadata { Name = name }, Port = 8080, Versions = [new ServiceVersion { Name = "v1" }] };

    private static ProxyIdentity Proxy(string service, int gatewayPort = 0) => new() { ProxyId = $"{service}-1", Service = service, Version = "v1", GatewayPort = gatewayPort };

    private static AccessPolicy Deny(string target) => new()
    {
        Metadata = new ResourceMetadata { Name = $"deny-{target}" },
        Action = AccessAction.Deny,
        Service = target,
        Rules = [new AccessRule { From = [new AccessSource { Services = ["web"] }] }],
    };

    private static readonly Resource[] Stored = [Svc("web"), Svc("reviews"), Svc("ratings")];

    [Fact]
    public void ProxiesChangedBy_ARoute_ReachesEverySidecar_EachHoldsEveryServiceOutbound()
    {
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "reviews" },
            ParentRefs = [new ParentRef { Name = "reviews" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "reviews", Version = "v1" }] }],
        };

        var reached = ChangeReach.ProxiesChangedBy(Stored, route, [Proxy("web"), Proxy("reviews"), Proxy("ratings")]);

        Assert.Equal(["web-1", "reviews-1", "ratings-1"], reached.Select(p => p.ProxyId));
    }

    [Fact]
    public void ProxiesChangedBy_AnAccessPolicy_ReachesOnlyTheSidecarsItSelects()
    {
        var reached = ChangeReach.ProxiesChangedBy(Stored, Deny("ratings"), [Proxy("web"), Proxy("reviews"), Proxy("ratings")]);

        Assert.Equal(["ratings-1"], reached.Select(p => p.ProxyId));
    }

    [Fact]
    public void ProxiesChangedBy_AnUnchangedResource_ReachesNone()
    {
        var stored = Stored.Append(Deny("ratings")).ToList();

        Assert.Empty(ChangeReach.ProxiesChangedBy(stored, Deny("ratings"), [Proxy("web"), Proxy("ratings")]));
    }
}
