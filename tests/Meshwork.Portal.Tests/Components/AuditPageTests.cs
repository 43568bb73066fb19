using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Pages;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

public sealed class AuditPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context(PortalFactory portal) : PortalComponentTest(portal, "ada@meshwork.test", [.. Meshwork.Portal.Identity.PortalPolicies.All]);

    private async Task SeedAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var created = await store.ApplyAsync(Samples.Service(name, port: 8080), new ChangeActor("olga@meshwork.test", ChangeSource.Portal));
        var stored = Assert.IsType<ChangeResult.Applied>(created).Resources[0].Resource;
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(((Service)stored) with { Port = 9090 }, new ChangeActor("ci-bot", ChangeSource.Cli)));
    }

    private IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderPage(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudDialogProvider>(1);
            b.CloseComponent();
            b.OpenComponent<Meshwork.Portal.Components.Pages.Audit>(2);
            b.CloseComponent();
        });

    [Fact]
    public async Task AuditPage_ListsEntriesWithActorSourceAndResource()
    {
        await SeedAsync("bunit-audit-list");
        await using var context = new Context(portal);
        var page = RenderPage(context);

        page.WaitForAssertion(() => Assert.True(page.Markup.Contains("bunit-audit-list"), page.Markup), TimeSpan.FromSeconds(10));
        var rows = page.FindAll("[data-testid=audit-table] tbody tr").Where(r => r.TextContent.Contains("bunit-audit-list")).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("ci-bot", rows[0].TextContent); // newest first
        Assert.Contains("Cli", rows[0].TextContent);
        Assert.Contains("Update", rows[0].TextContent);
        Assert.Contains("olga@meshwork.test", rows[1].TextContent);
        Assert.Contains("Service/default/bunit-audit-list", rows[1].TextContent);
    }

    [Fact]
    public async Task AuditPage_ShowsBootstrapTokenIssueAndRevoke_WithScope_NeverTheSecret_NoRevert()
    {
        IssuedBootstrapToken issued;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var tokens = scope.ServiceProvider.GetRequiredService<BootstrapTokenService>();
            issued = await tokens.IssueAsync("bunit-audit-token", "orders", "shop", null, new ChangeActor("olga@meshwork.test", ChangeSource.Portal));
            Assert.True(await tokens.RevokeAsync(issued.Id, new ChangeActor("ci-bot", ChangeSource.Api)));
        }
        await using var context = new Context(portal);
        var page = RenderPage(context);

        page.WaitForAssertion(() => Assert.Contains("bunit-audit-token", page.Find("[data-testid=audit-table]").TextContent), TimeSpan.FromSeconds(10));
        var rows = page.FindAll("[data-testid=audit-table] tbody tr").Where(r => r.TextContent.Contains("BootstrapToken/shop/bunit-audit-token")).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("Revoke", rows[0].TextContent);
        Assert.Contains("ci-bot", rows[0].TextContent);
        Assert.Contains("Issue", rows[1].TextContent);
        Assert.Contains("olga@meshwork.test", rows[1].TextContent);
        Assert.All(rows, r => Assert.Empty(r.QuerySelectorAll("button")));  // a token entry is not a resource revision

        rows[1].Click();
        page.WaitForAssertion(() => Assert.Contains("\"service\": \"orders\"", page.Find("[data-testid=diff-view]").TextContent), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(issued.Secret, page.Markup);
        Assert.DoesNotContain(BootstrapTokenService.Hash(issued.Secret), page.Markup);
    }

    [Fact]
    public async Task AuditPage_ClickUpdate_ShowsSideBySideDiff()
    {
        await SeedAsync("bunit-audit-diff");
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => Assert.Contains("bunit-audit-diff", page.Find("[data-testid=audit-table]").TextContent), TimeSpan.FromSeconds(10));

        page.FindAll("[data-testid=audit-table] tbody tr").First(r => r.TextContent.Contains("bunit-audit-diff") && r.TextContent.Contains("Update")).Click();

        page.WaitForAssertion(() =>
        {
            var diff = page.Find("[data-testid=diff-view]");
            Assert.Contains("\"port\": 8080", diff.QuerySelector("td.left.removed")!.TextContent);
            Assert.Contains("\"port\": 9090", diff.QuerySelector("td.right.added")!.TextContent);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AuditPage_VerifyChain_ShowsIntactStatus()
    {
        await SeedAsync("bunit-audit-verify");
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => page.Find("[data-testid=audit-table]"), TimeSpan.FromSeconds(10));

        page.Find("button[data-testid=verify-chain]").Click();

        page.WaitForAssertion(() => Assert.Contains("Chain intact", page.Find("[data-testid=chain-status]").TextContent), TimeSpan.FromSeconds(10));
        // This portal has no audit seal key: the page says the log is not sealed rather than implying it is.
        Assert.Contains("Not sealed: no audit seal key is configured", page.Find("[data-testid=seal-status]").TextContent);
    }
}
