using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Components.Shared;
using Meshwork.Store;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The Export menu over the real store: a Viewer exports a stored route as Gateway API or Istio and an access
/// policy as an AuthorizationPolicy and a TCP route as a VirtualService tcp route, sees what the target cannot say, copies the
/// text and gets the download link.
/// </summary>
public sealed class ResourceExportMenuTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context(PortalFactory portal) : PortalComponentTest(portal, "vera@meshwork.test", ViewerPolicies);

    private static readonly ChangeActor Seed = new("seed@meshwork.test", ChangeSource.Api);

    /// <summary>A 90/10 split with a fault: Gateway API has neither versions nor faults, so both are warnings there.</summary>
    private async Task<HttpRoute> SeedRouteAsync(string name)
    {
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = name },
            ParentRefs = [new ParentRef { Name = name }],
            Rules =
            [
                new HttpRouteRule
                {
                    BackendRefs = [new BackendRef { Service = name, Version = "v1", Weight = 90 }, new BackendRef { Service = name, Version = "v2", Weight = 10 }],
                    Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503, Percent = 5 } },
                },
            ],
        };
        await SeedAsync(Samples.Service(name, versions: ["v1", "v2"]), route);
        return route;
    }

    private static IRenderedComponent<IComponent> RenderWithProviders<TComponent>(BunitContext context, params (string Name, object Value)[] parameters)
        where TComponent : IComponent =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<TComponent>(1);
            foreach (var (name, value) in parameters)
                b.AddAttribute(2, name, value);
            b.CloseComponent();
        });

    private async Task SeedAsync(params Resource[] resources)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        foreach (var resource in resources)
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(resource, Seed));
    }

    /// <summary>The page of a resource whose kind Istio can say, with its Export menu open.</summary>
    private static IRenderedComponent<IComponent> OpenMenuOnResourcePage(BunitContext context, ResourceKey key)
    {
        var page = RenderWithProviders<ResourceDetail>(context,
            (nameof(ResourceDetail.Kind), key.Kind.ToString()), (nameof(ResourceDetail.Namespace), key.Namespace), (nameof(ResourceDetail.Name), key.Name));
        page.Find("[data-testid=export-menu] button").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=export-istio]"), TimeSpan.FromSeconds(10));
        return page;
    }

    /// <summary>Picks Istio in the open menu and waits for the exported text, a document of this kind.</summary>
    private static string PickIstio(IRenderedComponent<IComponent> page, string kind)
    {
        page.Find("[data-testid=export-istio]").Click();
        page.WaitForAssertion(() => Assert.Contains($"kind: {kind}", Yaml(page)), TimeSpan.FromSeconds(10));
        return Yaml(page);
    }

    private static void Choose(IRenderedComponent<IComponent> page, string format)
    {
        page.Find("[data-testid=export-menu] button").Click();
        page.WaitForAssertion(() => page.Find($"[data-testid=export-{format}]"), TimeSpan.FromSeconds(10));
        page.Find($"[data-testid=export-{format}]").Click();
    }

    private static string Yaml(IRenderedComponent<IComponent> page) => page.Find("[data-testid=export-yaml]").TextContent;

    [Fact]
    public async Task Route_AsGatewayApi_ShowsTheHttpRouteWithTheWarnings_CopiesIt_LinksTheDownload()
    {
        var route = await SeedRouteAsync("bunit-export");
        await using var context = new Context(portal);
        var page = RenderWithProviders<ResourceExportMenu>(context, (nameof(ResourceExportMenu.ResourceKey), route.Key));

        Choose(page, "gateway-api");

        page.WaitForAssertion(() => Assert.Contains("kind: HTTPRoute", Yaml(page)), TimeSpan.FromSeconds(10));
        Assert.Equal("Gateway API HTTPRoute", page.Find("[data-testid=export-title]").TextContent.Trim());
        var yaml = Yaml(page);
        Assert.Contains("apiVersion: gateway.networking.k8s.io/v1", yaml);
        Assert.Contains("name: bunit-export", yaml);
        Assert.Contains("weight: 90", yaml);
        var warnings = page.FindAll("[data-testid=export-messages] tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains(warnings, w => w.Contains("warning") && w.Contains("rules[0].fault"));
        Assert.Contains(warnings, w => w.Contains("warning") && w.Contains("rules[0].backendRefs[0]"));
        Assert.Equal("portal/export/HttpRoute/default/bunit-export?format=gateway-api", page.Find("[data-testid=export-download]").GetAttribute("href"));
        Assert.True(page.Find("[data-testid=export-download]").HasAttribute("download"));

        page.Find("[data-testid=export-copy]").Click();

        // The button's handler runs asynchronously: wait for the note it leaves.
        page.WaitForAssertion(() => Assert.Equal("Copied to the clipboard.", page.Find("[data-testid=export-copied]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Equal(yaml, context.JSInterop.VerifyInvoke("navigator.clipboard.writeText").Arguments.Single());
    }

    [Fact]
    public async Task Route_AsIstio_IsAVirtualServiceWithTheSubsetsAndTheFault_NoWarnings()
    {
        var route = await SeedRouteAsync("bunit-export-istio");
        await using var context = new Context(portal);
        var page = RenderWithProviders<ResourceExportMenu>(context, (nameof(ResourceExportMenu.ResourceKey), route.Key));

        Choose(page, "istio");

        page.WaitForAssertion(() => Assert.Contains("kind: VirtualService", Yaml(page)), TimeSpan.FromSeconds(10));
        var yaml = Yaml(page);
        Assert.Contains("subset: v2", yaml);
        Assert.Contains("httpStatus: 503", yaml);
        Assert.Empty(page.FindAll("[data-testid=export-messages]"));
        Assert.Equal("portal/export/HttpRoute/default/bunit-export-istio?format=istio", page.Find("[data-testid=export-download]").GetAttribute("href"));
    }

    [Fact]
    public async Task TcpRoutePage_OffersGatewayApiAndIstio_IstioIsAVirtualServiceTcpRoute()
    {
        var route = new TcpRoute
        {
            Metadata = new ResourceMetadata { Name = "bunit-export-tcp" },
            Service = "bunit-export-db",
            Port = 25471,
            Rules = [new TcpRouteRule { BackendRefs = [new BackendRef { Service = "bunit-export-db", Version = "v1", Weight = 90 }, new BackendRef { Service = "bunit-export-db", Version = "v2", Weight = 10 }] }],
        };
        await SeedAsync(Samples.Service("bunit-export-db", versions: ["v1", "v2"]), route);
        await using var context = new Context(portal);
        var page = OpenMenuOnResourcePage(context, route.Key);
        Assert.Equal("Istio VirtualService", page.Find("[data-testid=export-istio]").TextContent.Trim());
        Assert.Equal("Gateway API TCPRoute", page.Find("[data-testid=export-gateway-api]").TextContent.Trim());
        var yaml = PickIstio(page, "VirtualService");
        Assert.Contains("port: 25471", yaml);
        Assert.Contains("subset: v2", yaml);
        Assert.Contains("weight: 10", yaml);
        Assert.Empty(page.FindAll("[data-testid=export-messages]"));
        Assert.Equal("portal/export/TcpRoute/default/bunit-export-tcp?format=istio", page.Find("[data-testid=export-download]").GetAttribute("href"));
    }

    [Fact]
    public async Task AccessPolicyPage_OffersMeshworkAndIstio_IstioIsAnAuthorizationPolicy()
    {
        var policy = new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = "bunit-export-deny" },
            Service = "bunit-export-guarded",
            Action = AccessAction.Deny,
            Rules = [new AccessRule { To = [new AccessOperation { Paths = ["/admin/*"] }] }],
        };
        await SeedAsync(Samples.Service("bunit-export-guarded"), policy);
        await using var context = new Context(portal);
        var page = OpenMenuOnResourcePage(context, policy.Key);
        Assert.Equal("Istio AuthorizationPolicy", page.Find("[data-testid=export-istio]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=export-gateway-api]"));
        var yaml = PickIstio(page, "AuthorizationPolicy");
        Assert.Contains("action: DENY", yaml);
        Assert.Contains("/admin/*", yaml);
        Assert.Contains("app: bunit-export-guarded", yaml);
        Assert.Equal("portal/export/AccessPolicy/default/bunit-export-deny?format=istio", page.Find("[data-testid=export-download]").GetAttribute("href"));
    }
}
