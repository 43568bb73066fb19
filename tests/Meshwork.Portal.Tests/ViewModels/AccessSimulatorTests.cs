using Meshwork.Model.Resources;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.ViewModels;

/// <summary>"Can A call B?" against policies stored in the real store, evaluated as the proxies do.</summary>
public sealed class AccessSimulatorTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        // xunit makes an instance per test; the class's database is seeded by the first.
        if (await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", "sim-checkout")) is not null)
            return;
        var admin = new ChangeActor("ada@meshwork.test", ChangeSource.Portal);
        Resource[] resources =
        [
            Samples.Service("sim-checkout"),
            Samples.Service("sim-frontend"),
            Samples.Service("sim-batch"),
            Samples.Service("sim-reports"),
            new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "sim-allow-frontend" },
                Service = "sim-checkout",
                Action = AccessAction.Allow,
                Rules = [new AccessRule { From = [new AccessSource { Services = ["sim-frontend"] }] }],
            },
            new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "sim-deny-admin" },
                Service = "sim-checkout",
                Action = AccessAction.Deny,
                Rules = [new AccessRule { To = [new AccessOperation { Paths = ["/admin*"] }] }],
            },
            // sim-reports: batch may connect by its source alone; frontend only for GET, which no TCP connection is.
            new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "sim-reports-from-batch" },
                Service = "sim-reports",
                Action = AccessAction.Allow,
                Rules = [new AccessRule { From = [new AccessSource { Services = ["sim-batch"] }] }],
            },
            new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "sim-reports-get-from-frontend" },
                Service = "sim-reports",
                Action = AccessAction.Allow,
                Rules = [new AccessRule { From = [new AccessSource { Services = ["sim-frontend"] }], To = [new AccessOperation { Methods = ["GET"], Paths = ["/reports*"] }] }],
            },
        ];
        var result = await store.ApplyManyAsync(resources, admin);
        Assert.True(result is ChangeResult.Applied, result.ToString());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private AccessSimulatorViewModel Simulator => new(portal.Services.GetRequiredService<IServiceScopeFactory>());

    [Theory]
    [InlineData("sim-frontend", "/cart", true, "sim-allow-frontend")]
    [InlineData("sim-frontend", "/admin/users", false, "sim-deny-admin")]
    [InlineData("sim-batch", "/cart", false, "no-allow-matched")]
    public async Task Check_StoredPolicies_DecidesAsTheProxyWould(string caller, string path, bool allowed, string decidedBy)
    {
        var decision = await Simulator.CheckAsync(new AccessQuestion { SourceService = caller, DestinationService = "sim-checkout", Path = path });
        Assert.Equal((allowed, decidedBy), (decision.Allowed, decision.DecidedBy));
    }

    [Theory]
    [InlineData("//admin/users")]
    [InlineData("/cart/../Admin")]
    [InlineData("/%61dmin")]
    public async Task Check_PathSpelledOtherwise_NormalisedLikeTheProxyDoes(string path)
    {
        var decision = await Simulator.CheckAsync(new AccessQuestion { SourceService = "sim-frontend", DestinationService = "sim-checkout", Path = path });
        Assert.Equal((false, "sim-deny-admin"), (decision.Allowed, decision.DecidedBy));
        Assert.Contains("after normalisation", decision.Reason);
    }

    [Fact]
    public async Task Check_EncodedSlash_RefusedAsTheProxyWould()
    {
        var decision = await Simulator.CheckAsync(new AccessQuestion { SourceService = "sim-frontend", DestinationService = "sim-checkout", Path = "/cart%2F..%2Fadmin" });
        Assert.Equal((false, "bad-path"), (decision.Allowed, decision.DecidedBy));
        Assert.StartsWith("the proxy refuses this path with 400: an encoded slash", decision.Reason);
    }

    [Fact]
    public async Task Check_ServiceWithoutPolicies_FollowsTheMeshDefault()
    {
        var decision = await Simulator.CheckAsync(new AccessQuestion { SourceService = "sim-batch", DestinationService = "sim-frontend" });
        Assert.True(decision.Allowed); // no MeshSettings stored: permissive
        Assert.Equal("mesh-default", decision.DecidedBy);
    }

    private Task<Meshwork.Model.Policy.AccessDecision> CheckTcpAsync(string caller, string callee) =>
        Simulator.CheckAsync(new AccessQuestion { Protocol = CallProtocol.Tcp, SourceService = caller, DestinationService = callee });

    [Fact]
    public async Task CheckTcp_DenyRuleNamingPaths_RefusesEveryConnectionFromItsSources()
    {
        // sim-deny-admin names only paths and no source: on HTTP it stops /admin*, on TCP every connection.
        var http = await Simulator.CheckAsync(new AccessQuestion { SourceService = "sim-frontend", DestinationService = "sim-checkout", Path = "/cart" });
        Assert.True(http.Allowed);
        var decision = await CheckTcpAsync("sim-frontend", "sim-checkout");
        Assert.Equal((false, "sim-deny-admin"), (decision.Allowed, decision.DecidedBy));
        Assert.Equal("DENY policy 'sim-deny-admin' matched on its sources alone: a TCP connection has no method, path or header, " +
            "so a DENY rule naming them refuses every connection from its sources", decision.Reason);
    }

    [Fact]
    public async Task CheckTcp_AllowRuleNamingMethodsAndPaths_AdmitsNoConnection_AndSaysWhich()
    {
        var http = await Simulator.CheckAsync(new AccessQuestion { SourceService = "sim-frontend", DestinationService = "sim-reports", Path = "/reports/today" });
        Assert.Equal((true, "sim-reports-get-from-frontend"), (http.Allowed, http.DecidedBy));
        var decision = await CheckTcpAsync("sim-frontend", "sim-reports");
        Assert.Equal((false, "no-allow-matched"), (decision.Allowed, decision.DecidedBy));
        Assert.Equal("ALLOW policies select the service and none matched: 'sim-reports-get-from-frontend' admits this caller only for the methods, " +
            "paths or headers named, which a TCP connection does not have, so an ALLOW rule naming them admits no connection", decision.Reason);
    }

    [Fact]
    public async Task CheckTcp_AllowRuleNamingOnlySources_AdmitsTheConnection()
    {
        var decision = await CheckTcpAsync("sim-batch", "sim-reports");
        Assert.Equal((true, "sim-reports-from-batch", "ALLOW policy 'sim-reports-from-batch' matched"), (decision.Allowed, decision.DecidedBy, decision.Reason));
    }

    [Fact]
    public async Task CheckTcp_CallerNoAllowAdmits_DeniedWithoutBlamingHttpOnlyRules()
    {
        // sim-reports-get-from-frontend does not name sim-checkout's caller: it is not why the connection is refused.
        var decision = await CheckTcpAsync("sim-checkout", "sim-reports");
        Assert.Equal((false, "no-allow-matched", "ALLOW policies select the service and none matched"), (decision.Allowed, decision.DecidedBy, decision.Reason));
    }

    [Fact]
    public async Task CheckTcp_ServiceWithoutPolicies_FollowsTheMeshDefault_AndIgnoresMethodAndPath()
    {
        // A path the proxy would refuse on HTTP means nothing to a connection.
        var decision = await Simulator.CheckAsync(new AccessQuestion
        {
            Protocol = CallProtocol.Tcp, SourceService = "sim-batch", DestinationService = "sim-frontend", Method = "DELETE", Path = "/x%2F..%2Fadmin",
        });
        Assert.Equal((true, "mesh-default"), (decision.Allowed, decision.DecidedBy));
    }
}
