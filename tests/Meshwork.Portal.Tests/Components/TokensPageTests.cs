using Bunit;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>The Bootstrap tokens page (admins) over the real store: issue with the join command shown once, wildcard marked, revoke.</summary>
public sealed class TokensPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context(PortalFactory portal) : PortalComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderPage(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<BootstrapTokens>(1);
            b.CloseComponent();
        });

    private static void Fill(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string field, string value) =>
        page.Find($"[data-testid={field}] input, input[data-testid={field}]").Change(value);

    [Fact]
    public async Task Issue_ScopedToken_ShowsTheJoinCommandOnce_ThenRevokeEndsIt()
    {
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => page.Find("[data-testid=tokens-table]"), TimeSpan.FromSeconds(10));

        Fill(page, "token-name", "page-orders");
        Fill(page, "token-namespace", "shop");
        Fill(page, "token-service", "orders");
        page.Find("button[data-testid=issue-token]").Click();

        page.WaitForAssertion(() =>
        {
            Assert.Contains("--ControlPlaneClient:Namespace shop --ControlPlaneClient:Service orders", page.Find("[data-testid=join-command]").TextContent);
            Assert.Contains("shop/orders", page.Find("[data-testid=tokens-table]").TextContent);
        }, TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid=wildcard-chip]"));
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var stored = (await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>().ListAsync()).Single(t => t.Name == "page-orders");
            // The secret in the join command is the one whose hash was stored.
            var command = page.Find("[data-testid=join-command]").TextContent;
            var start = command.IndexOf("BootstrapToken='", StringComparison.Ordinal) + "BootstrapToken='".Length;
            Assert.Equal(stored.SecretHash, BootstrapTokenService.Hash(command[start..command.IndexOf('\'', start)]));
        }

        page.Find("button[data-testid=revoke-page-orders]").Click();
        page.WaitForAssertion(() => Assert.Contains("Revoked page-orders", page.Find("[data-testid=tokens-message]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid=join-command]"));
        await using var check = portal.Services.CreateAsyncScope();
        Assert.NotNull(((await check.ServiceProvider.GetRequiredService<BootstrapTokenService>().ListAsync()).Single(t => t.Name == "page-orders")).RevokedAt);
    }

    [Fact]
    public async Task Issue_WildcardWithoutTheBox_IsRefusedWithTheReason_AndWithItIsMarked()
    {
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => page.Find("[data-testid=tokens-table]"), TimeSpan.FromSeconds(10));

        Fill(page, "token-name", "page-any");
        Fill(page, "token-service", "*");
        page.Find("button[data-testid=issue-token]").Click();
        page.WaitForAssertion(() => Assert.Contains("service: '*' admits any", page.Find("[data-testid=tokens-message]").TextContent), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=token-wildcard] input, input[data-testid=token-wildcard]").Change(true);
        page.Find("button[data-testid=issue-token]").Click();
        page.WaitForAssertion(() =>
        {
            Assert.Contains("(WILDCARD)", page.Find("[data-testid=issued-token]").TextContent);
            Assert.NotEmpty(page.FindAll("[data-testid=wildcard-chip]"));
        }, TimeSpan.FromSeconds(10));
    }
}
