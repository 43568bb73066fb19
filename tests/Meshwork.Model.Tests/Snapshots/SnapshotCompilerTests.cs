using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.Model.Tests.Snapshots;

public sealed class SnapshotCompilerTests
{
    private static readonly ProxyIdentity Web = new() { ProxyId = "web-1", Service = "web", Version = "v1", OutboundPort = 15001, InboundPort = 15006 };

    private static Service Reviews => new()
    {
        Metadata = new ResourceMetadata { Name = "reviews" },
        Port = 9080,
        Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
    };

    private static readonly Instance[] Instances =
    [
        new() { Id = "reviews-v2-a", Service = "reviews", Version = "v2", Address = "127.0.0.1:2002", ProxyId = "p2", Health = InstanceHealth.Healthy },
        new() { Id = "reviews-v1-a", Service = "reviews", Version = "v1", Address = "127.0.0.1:2001", ProxyId = "p1", Health = InstanceHealth.Healthy },
    ];

    private static HttpRoute CanaryRoute => new()
    {
        Metadata = new ResourceMetadata { Name = "reviews-canary" },
        ParentRefs = [new ParentRef { Name = "reviews" }],
        Rules =
        [
            new HttpRouteRule
            {
                Name = "split",
                BackendRefs = [new BackendRef { Service = "reviews", Version = "v1", Weight = 90 }, new BackendRef { Service = "reviews", Version = "v2", Weight = 10 }],
                Filters = [new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new RequestMirror { BackendRef = new BackendRef { Service = "reviews", Version = "v2" }, Percent = 5 } }],
            },
            new HttpRouteRule
            {
                Name = "beta",
                Matches = [new HttpRouteMatch { Headers = [new HeaderMatch { Name = "x-beta", Value = "1" }] }],
                BackendRefs = [new BackendRef { Service = "reviews", Version = "v2" }],
            },
        ],
    };

    [Fact]
    public void Compile_ServiceWithVersions_EmitsClusterPerVersionWithMatchingEndpoints()
    {
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews], Instances = Instances, Proxy = Web });
        var v1 = Assert.Single(snapshot.Clusters, c => c.Name == "reviews.default|v1");
        Assert.Equal(["127.0.0.1:2001"], v1.Endpoints.Select(e => e.Address));
        var all = Assert.Single(snapshot.Clusters, c => c.Name == "reviews.default");
        Assert.Equal(["reviews-v1-a", "reviews-v2-a"], all.Endpoints.Select(e => e.InstanceId));
        Assert.Contains(snapshot.Clusters, c => c.Name == SnapshotCompiler.LocalAppCluster);
    }

    [Fact]
    public void Compile_RouteWithHeaderMatch_OrdersMoreSpecificMatchFirstAndResolvesMirror()
    {
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, CanaryRoute], Instances = Instances, Proxy = Web });
        var host = Assert.Single(snapshot.VirtualHosts, v => v.Name == "reviews.default");
        Assert.Contains("reviews.default.svc.cluster.local", host.Domains);
        Assert.Equal(["default/reviews-canary/beta", "default/reviews-canary/split"], host.Rules.Select(r => r.RouteName));
        var split = host.Rules[1];
        Assert.Equal([("reviews.default|v1", 90), ("reviews.default|v2", 10)], split.Backends.Select(b => (b.Cluster, b.Weight)));
        Assert.Equal("reviews.default|v2", Assert.Single(split.Mirrors).Cluster);
        Assert.Empty(split.Filters);
    }

    [Fact]
    public void Compile_SameInputsInAnyOrder_GiveTheSameHash()
    {
        var a = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, CanaryRoute], Instances = Instances, Proxy = Web, Version = 1 });
        var b = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [CanaryRoute, Reviews], Instances = Instances.Reverse().ToArray(), Proxy = Web, Version = 7 });
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(64, a.Hash.Length);
        Assert.True(SnapshotHash.Verify(b));
    }

    [Fact]
    public void Compile_ChangedWeight_ChangesTheHash()
    {
        var a = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, CanaryRoute], Instances = Instances, Proxy = Web });
        var changed = CanaryRoute with { Rules = [CanaryRoute.Rules[0] with { BackendRefs = [new BackendRef { Service = "reviews", Version = "v1", Weight = 50 }] }] };
        var b = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, changed], Instances = Instances, Proxy = Web });
        Assert.NotEqual(a.Hash, b.Hash);
    }

    [Fact]
    public void Compile_AccessPoliciesAndRateLimit_OnlyThoseOfTheProxysOwnService()
    {
        var forWeb = new AccessPolicy { Metadata = new ResourceMetadata { Name = "web-allow" }, Service = "web" };
        var forReviews = new AccessPolicy { Metadata = new ResourceMetadata { Name = "reviews-allow" }, Service = "reviews" };
        var nsWide = new AccessPolicy { Metadata = new ResourceMetadata { Name = "ns-deny" }, Action = AccessAction.Deny };
        var limit = new ResiliencePolicy { Metadata = new ResourceMetadata { Name = "web-limit" }, Service = "web", RateLimit = new LocalRateLimit { MaxTokens = 5, TokensPerFill = 5 } };
        var mesh = new MeshSettings { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName }, DefaultAccessMode = AccessMode.DefaultDeny, TrustDomain = "example.org" };
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [forWeb, forReviews, nsWide, limit, mesh], Proxy = Web });
        Assert.Equal(["ns-deny", "web-allow"], snapshot.Inbound.Policies.Select(p => p.Metadata.Name));
        Assert.Equal(AccessMode.DefaultDeny, snapshot.Inbound.DefaultMode);
        Assert.Equal(5, snapshot.Inbound.RateLimit?.MaxTokens);
        Assert.Equal("spiffe://example.org/ns/default/sa/web", snapshot.Identity.SpiffeId);
    }

    [Fact]
    public void Compile_ResiliencePolicy_AppliedToTheDestinationsClusters()
    {
        var policy = new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "reviews-resilience" },
            Service = "reviews",
            Retries = new RetryPolicy { Attempts = 3 },
            LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = "x-user" },
        };
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, policy], Instances = Instances, Proxy = Web });
        Assert.All(snapshot.Clusters.Where(c => c.Service == "reviews"), c => Assert.Equal(3, c.Settings.Retries?.Attempts));
        Assert.Null(snapshot.Inbound.RateLimit);
        Assert.Equal(TimeSpan.FromHours(1), snapshot.Inbound.TcpIdleTimeout);
    }

    [Fact]
    public void Compile_TcpIdleTimeout_OfTheProxysOwnService_GovernsItsInboundRelay()
    {
        var own = new ResiliencePolicy { Metadata = new ResourceMetadata { Name = "web-pool" }, Service = "web", ConnectionPool = new ConnectionPoolSettings { TcpIdleTimeout = TimeSpan.FromSeconds(30) } };
        var other = new ResiliencePolicy { Metadata = new ResourceMetadata { Name = "reviews-pool" }, Service = "reviews", ConnectionPool = new ConnectionPoolSettings { TcpIdleTimeout = TimeSpan.FromSeconds(5) } };
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, own, other], Instances = Instances, Proxy = Web });
        Assert.Equal(TimeSpan.FromSeconds(30), snapshot.Inbound.TcpIdleTimeout);
        Assert.All(snapshot.Clusters.Where(c => c.Service == "reviews"), c => Assert.Equal(TimeSpan.FromSeconds(5), c.Settings.ConnectionPool?.TcpIdleTimeout));
    }

    [Fact]
    public void Compile_GatewayProxy_GetsRoutesAttachedToItsGateway()
    {
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Kind = ParentKind.Gateway, Name = "edge" }],
            Hostnames = ["Shop.Example.com"],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "reviews" }] }],
        };
        var gateway = new ProxyIdentity { ProxyId = "edge-1", Service = "edge", GatewayPort = 8443, GatewayTls = true };
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, route], Instances = Instances, Proxy = gateway });
        var host = Assert.Single(snapshot.VirtualHosts, v => v.Listener == ListenerKind.Gateway);
        Assert.Equal(["shop.example.com"], host.Domains);
        Assert.Contains(snapshot.Listeners, l => l.Kind == ListenerKind.Gateway && l.Tls && l.Port == 8443);
    }

    [Fact]
    public void Compile_TwoGatewayRoutesStoredWithTheSameHostname_FirstByNamespaceAndNameKeepsIt()
    {
        // Stored before the validator rejected a second claim on a gateway host name.
        static HttpRoute Route(string name, string[] hostnames) => new()
        {
            Metadata = new ResourceMetadata { Name = name },
            ParentRefs = [new ParentRef { Kind = ParentKind.Gateway, Name = "edge" }],
            Hostnames = hostnames,
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "reviews" }] }],
        };
        var gateway = new ProxyIdentity { ProxyId = "edge-1", Service = "edge", GatewayPort = 8443 };
        Resource[] resources = [Reviews, Route("shop-v2", ["shop.example.com", "api.example.com"]), Route("shop", ["shop.example.com"]), Route("shop-old", ["shop.example.com"]), Route("any", []), Route("any-too", [])];

        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = resources, Instances = Instances, Proxy = gateway });

        var hosts = snapshot.VirtualHosts.Where(v => v.Listener == ListenerKind.Gateway).Select(v => (v.Name, string.Join(",", v.Domains)));
        Assert.Equal([("gateway:default/any", "*"), ("gateway:default/shop", "shop.example.com"), ("gateway:default/shop-v2", "api.example.com")], hosts);
    }

    [Fact]
    public void Compile_TwoResiliencePoliciesStoredForOneService_FirstByNameApplies()
    {
        // Stored before the validator rejected a second policy for a service.
        ResiliencePolicy Policy(string name, int attempts) => new() { Metadata = new ResourceMetadata { Name = name }, Service = "reviews", Retries = new RetryPolicy { Attempts = attempts } };

        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Policy("reviews-z", 9), Reviews, Policy("reviews-a", 4)], Instances = Instances, Proxy = Web });

        Assert.All(snapshot.Clusters.Where(c => c.Service == "reviews"), c => Assert.Equal(4, c.Settings.Retries?.Attempts));
    }

    [Fact]
    public void Compile_BackendWithoutServiceResource_StillGetsAnEmptyCluster()
    {
        var route = CanaryRoute with { Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "ghost", Version = "v9" }] }] };
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs { Resources = [Reviews, route], Proxy = Web });
        var ghost = Assert.Single(snapshot.Clusters, c => c.Name == "ghost.default|v9");
        Assert.Equal(("ghost", "default", "v9"), (ghost.Service, ghost.Namespace, ghost.Version));
        Assert.Empty(ghost.Endpoints);
    }

    [Fact]
    public void Compile_OnAPreparedMesh_GivesEveryProxyItsOwnSnapshot_AndLeavesTheSharedPartUntouched()
    {
        // A gateway adds its own virtual host and an empty cluster for a backend with no Service; neither may
        // leak through the shared part into the sidecar compiled after it.
        var gatewayRoute = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Kind = ParentKind.Gateway, Name = "edge" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "ghost" }] }],
        };
        Resource[] resources = [Reviews, CanaryRoute, gatewayRoute];
        var gateway = new ProxyIdentity { ProxyId = "edge-1", Service = "edge", GatewayPort = 8443 };
        var mesh = SnapshotCompiler.Prepare(resources, Instances, meshTls: false);

        foreach (var proxy in new[] { gateway, Web, gateway, Web with { ProxyId = "web-2" } })
        {
            var alone = SnapshotCompiler.Compile(new SnapshotInputs { Resources = resources, Instances = Instances, Proxy = proxy });
            var shared = SnapshotCompiler.Compile(new SnapshotInputs { Resources = resources, Instances = Instances, Proxy = proxy }, mesh);
            Assert.Equal(alone.Hash, shared.Hash);
            Assert.Equal(SnapshotHash.Compute(shared), shared.Hash);
        }
        var web = SnapshotCompiler.Compile(new SnapshotInputs { Resources = resources, Proxy = Web }, mesh);
        Assert.DoesNotContain(web.VirtualHosts, v => v.Listener == ListenerKind.Gateway);
        Assert.DoesNotContain(web.Clusters, c => c.Service == "ghost");
    }
}
