using Bunit;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

public sealed class UsersPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context(PortalFactory portal) : PortalComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderPage(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<Users>(1);
            b.CloseComponent();
        });

    [Fact]
    public async Task AddPerson_ValidForm_CreatesUserWithRoleAndListsIt()
    {
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => Assert.Contains(PortalFactory.AdminEmail, page.Find("[data-testid=users-table]").TextContent), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=new-user-email] input, input[data-testid=new-user-email]").Change("newbie@meshwork.test");
        page.Find("[data-testid=new-user-password] input, input[data-testid=new-user-password]").Change("Newbie-Passw0rd!");
        page.Find("button[data-testid=create-user]").Click();

        page.WaitForAssertion(() => Assert.Contains("newbie@meshwork.test", page.Find("[data-testid=users-table]").TextContent), TimeSpan.FromSeconds(10));
        await using var scope = portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var created = await users.FindByEmailAsync("newbie@meshwork.test");
        Assert.NotNull(created);
        Assert.Equal([PortalRoles.Viewer], await users.GetRolesAsync(created));
    }

    [Fact]
    public async Task AddPerson_WeakPassword_ShowsIdentityErrorAndCreatesNothing()
    {
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => page.Find("[data-testid=users-table]"), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=new-user-email] input, input[data-testid=new-user-email]").Change("weak@meshwork.test");
        page.Find("[data-testid=new-user-password] input, input[data-testid=new-user-password]").Change("short");
        page.Find("button[data-testid=create-user]").Click();

        page.WaitForAssertion(() => Assert.Contains("at least", page.Find("[data-testid=users-message]").TextContent), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("weak@meshwork.test", page.Find("[data-testid=users-table]").TextContent);
    }

    [Fact]
    public async Task CreateApiClient_ShowsSecretOnceAndListsClient()
    {
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => page.Find("[data-testid=clients-table]"), TimeSpan.FromSeconds(10));

        page.Find("[data-testid=new-client-name] input, input[data-testid=new-client-name]").Change("bunit pipeline");
        page.Find("button[data-testid=create-client]").Click();

        page.WaitForAssertion(() => Assert.Contains("shown only once", page.Find("[data-testid=new-client-secret]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("bunit pipeline", page.Find("[data-testid=clients-table]").TextContent);

        // Any next action clears it: the secret is never shown again.
        page.Find("[data-testid=new-user-email] input, input[data-testid=new-user-email]").Change("not-an-email");
        page.Find("button[data-testid=create-user]").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=new-client-secret]")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RegisterPublicClient_RejectsPlainHttpAndRegistersHttps()
    {
        await using var context = new Context(portal);
        var page = RenderPage(context);
        page.WaitForAssertion(() => page.Find("[data-testid=clients-table]"), TimeSpan.FromSeconds(10));

        page.Find("input[data-testid=new-public-client-name]").Change("bunit spa");
        page.Find("input[data-testid=new-public-client-redirect]").Change("http://spa.example/callback");
        page.Find("button[data-testid=create-public-client]").Click();
        page.WaitForAssertion(() => Assert.Contains("must be an absolute https URL", page.Find("[data-testid=users-message]").TextContent), TimeSpan.FromSeconds(10));

        page.Find("input[data-testid=new-public-client-redirect]").Change("https://spa.example/callback");
        page.Find("button[data-testid=create-public-client]").Click();
        page.WaitForAssertion(() => Assert.Contains("public (PKCE)", page.Find("[data-testid=clients-table]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("Registered client mw-pub-", page.Find("[data-testid=users-message]").TextContent);
    }
}
