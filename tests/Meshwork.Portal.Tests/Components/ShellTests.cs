using Bunit;
using Meshwork.Portal.Components.Layout;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

public sealed class ShellTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly string[] Sections = ["Overview", "Topology", "Services", "Traffic", "Access", "Rollouts", "Fleet", "Audit", "Settings"];

    private sealed class Context(PortalFactory portal, params string[] policies) : PortalComponentTest(portal, "ada@meshwork.test", policies);

    private static IRenderedComponent<MainLayout> RenderLayout(BunitContext context) =>
        context.Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<h1 id=\"body\">page body</h1>"))));

    [Fact]
    public async Task MainLayout_Admin_ShowsEverySectionTheAdminPagesAndTheBody()
    {
        await using var context = new Context(portal, [.. Meshwork.Portal.Identity.PortalPolicies.All]);
        var layout = RenderLayout(context);

        var links = layout.FindAll("a.mud-nav-link").Select(a => a.TextContent.Trim()).ToList();
        // Import (Operator and above) sits with the sections, after Fleet.
        Assert.Equal([.. Sections[..7], "Import", .. Sections[7..], "Users", "Bootstrap tokens"], links);
        Assert.Equal("page body", layout.Find("#body").TextContent);
        Assert.Equal("ada@meshwork.test", layout.Find("[data-testid=user-name]").TextContent);
    }

    [Fact]
    public async Task MainLayout_Viewer_HidesTheAdminPages()
    {
        await using var context = new Context(portal, Meshwork.Portal.Identity.PortalPolicies.Read);
        var layout = RenderLayout(context);
        var links = layout.FindAll("a.mud-nav-link").Select(a => a.TextContent.Trim()).ToList();
        Assert.Equal(Sections, links);
    }

    [Fact]
    public async Task ThemeToggle_Click_SwitchesToDarkAndBack()
    {
        await using var context = new Context(portal, Meshwork.Portal.Identity.PortalPolicies.Read);
        var layout = RenderLayout(context);
        var theme = context.Services.GetRequiredService<ThemeState>();
        Assert.False(theme.IsDarkMode);

        layout.Find("button[data-testid=theme-toggle]").Click();
        Assert.True(theme.IsDarkMode);
        layout.Find("button[data-testid=theme-toggle]").Click();
        Assert.False(theme.IsDarkMode);
    }

    [Fact]
    public async Task TopologyPage_ShowsHonestEmptyStateNamingItsSource()
    {
        await using var context = new Context(portal, Meshwork.Portal.Identity.PortalPolicies.Read);
        var page = context.Render<Meshwork.Portal.Components.Pages.Topology>();
        Assert.Contains("The control plane is not connected to the portal", page.Markup);
        Assert.Contains("Portal:ControlPlane:Address", page.Markup);
    }
}
