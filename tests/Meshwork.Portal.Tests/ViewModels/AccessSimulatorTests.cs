using Meshwork.Model.Resources;
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
}
