using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// Pages over the running portal's live-data service, whose store listener hears real NOTIFYs: another
/// operator's change (here through the store service, as the API or meshctl write) shows without a reload.
/// </summary>
public sealed class LivePagesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context : PortalComponentTest
    {
        public Context(PortalFactory portal) : base(portal, "vera@meshwork.test", PortalPolicies.Read) =>
            Services.AddSingleton(portal.Services.GetRequiredService<MeshLiveData>());
    }

    private async Task ApplyAsOtherOperatorAsync(Resource resource)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResourceService>().ApplyAsync(resource, new ChangeActor("olga@meshwork.test", ChangeSource.Api));
        Assert.IsType<ChangeResult.Applied>(result);
    }

    [Fact]
    public async Task Services_AnotherOperatorCreatesAService_AppearsWithoutAReload()
    {
        await using var context = new Context(portal);
        var page = context.Render<Services>();
        page.WaitForAssertion(() => Assert.DoesNotContain("Loading", page.Markup));

        await ApplyAsOtherOperatorAsync(new Service { Metadata = new ResourceMetadata { Name = "payments-live" }, Versions = [new ServiceVersion { Name = "v1" }] });

        page.WaitForAssertion(() => Assert.Contains("payments-live", page.Markup), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Traffic_AnotherOperatorAddsARoute_TheListFollows()
    {
        await using var context = new Context(portal);
        var page = context.Render<Traffic>();

        await ApplyAsOtherOperatorAsync(new Service { Metadata = new ResourceMetadata { Name = "live-route" }, Versions = [new ServiceVersion { Name = "v1" }] });
        await ApplyAsOtherOperatorAsync(new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "live-route" },
            ParentRefs = [new ParentRef { Name = "live-route" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "live-route", Weight = 100 }] }],
        });

        page.WaitForAssertion(() => Assert.Contains("live-route", page.Markup), TimeSpan.FromSeconds(30));
    }
}
