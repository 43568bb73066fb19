using System.Text.RegularExpressions;
using Meshwork.Testing.Postgres;
using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>
/// An open admin tab follows a role change made in another session, in real Chromium against the real
/// portal process: within Portal:Sessions:RevalidationInterval (2 s here) and without anyone reloading,
/// the tab loses the admin page and is sent to sign in; signed in again it is a Viewer's portal.
/// </summary>
public sealed class SessionRevalidationTests : IAsyncLifetime
{
    private const string AdminEmail = "admin@meshwork.e2e";
    private const string AdminPassword = "E2e-Admin-Passw0rd!";
    private const string VictimEmail = "demoted.admin@meshwork.e2e";
    private const string VictimPassword = "E2e-Demoted-Passw0rd!";

    private MeshworkProcess? portal;
    private IPlaywright? playwright;
    private IBrowser? browser;
    private readonly Dictionary<IPage, List<string>> consoleLogs = [];

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        portal = await MeshworkProcess.StartPortalAsync(await cluster.CreateDatabaseAsync(), AdminEmail, AdminPassword, controlPlaneAddress: null,
            extraSettings: new Dictionary<string, string> { ["Portal__Sessions__RevalidationInterval"] = "00:00:02" });
        playwright = await Playwright.CreateAsync();
        browser = await Chromium.LaunchAsync(playwright);
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
            await browser.DisposeAsync();
        playwright?.Dispose();
        if (portal is not null)
            await portal.DisposeAsync();
    }

    private async Task<IPage> SignedInPageAsync(string email, string password, string path)
    {
        var context = await browser!.NewContextAsync(); // its own cookies: another person's session
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Chromium.Patience);
        var console = new List<string>();
        consoleLogs[page] = console;
        page.Console += (_, message) => { if (message.Type is "error" or "warning") lock (console) console.Add(message.Text); };
        page.Response += (_, response) => { if (response.Request.ResourceType is "document" or "fetch") lock (console) console.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {response.Status} {response.Request.Method} {response.Url}"); };
        page.RequestFailed += (_, request) => { lock (console) console.Add($"{DateTime.UtcNow:HH:mm:ss.fff} failed {request.Method} {request.Url}: {request.Failure}"); };
        await page.GotoAsync(portal!.Url + path);
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await WaitInteractiveAsync(page);
        return page;
    }

    // The live circuit has started; a timeout says where the page was and what the portal logged.
    private async Task WaitInteractiveAsync(IPage page)
    {
        try
        {
            await page.Locator("[data-interactive=true]").WaitForAsync();
        }
        catch (TimeoutException e)
        {
            var text = await page.Locator("body").InnerTextAsync(new LocatorInnerTextOptions { Timeout = 5_000 });
            throw new TimeoutException($"{e.Message}\npage {page.Url}: {text.ReplaceLineEndings(" ")[..Math.Min(text.Length, 400)]}\nbrowser (console errors, documents and fetches): {string.Join(" | ", consoleLogs[page].TakeLast(15))}\nportal: {portal!.RecentProblems()}", e);
        }
    }

    private static async Task ChooseAsync(IPage page, ILocator select, string option)
    {
        await select.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = option }).ClickAsync();
        await Assertions.Expect(select.Locator("input").First).ToHaveValueAsync(option);
    }

    [Fact]
    public async Task OpenAdminTab_UserDemotedElsewhere_LosesAdminPageWithoutReload()
    {
        // The first admin adds a second admin through the Users page.
        var admin = await SignedInPageAsync(AdminEmail, AdminPassword, "/users");
        await admin.FillAsync("input[data-testid=new-user-email]", VictimEmail);
        await admin.FillAsync("input[data-testid=new-user-password]", VictimPassword);
        await ChooseAsync(admin, admin.Locator(".mud-paper", new PageLocatorOptions { HasText = "Add a person" }).Locator(".mud-select").First, "Admin");
        await admin.ClickAsync("[data-testid=create-user]");
        await Assertions.Expect(admin.Locator("[data-testid=users-message]")).ToContainTextAsync($"Added {VictimEmail} as Admin");

        // The second admin's tab is open on the admin-only Users page.
        var victim = await SignedInPageAsync(VictimEmail, VictimPassword, "/users");
        await Assertions.Expect(victim.Locator("[data-testid=users-table]")).ToBeVisibleAsync();
        await Assertions.Expect(victim.Locator("a.mud-nav-link:has-text('Users')")).ToBeVisibleAsync();

        // The first admin demotes them to Viewer.
        var row = admin.Locator("[data-testid=users-table] tbody tr", new PageLocatorOptions { HasText = VictimEmail });
        await ChooseAsync(admin, row.Locator(".mud-select").First, "Viewer");
        await Assertions.Expect(admin.Locator("[data-testid=users-message]")).ToContainTextAsync("Role changed to Viewer");

        // The open tab is sent to sign in by the portal itself (nobody reloads it); the admin page is gone.
        await Assertions.Expect(victim).ToHaveURLAsync(new Regex("/account/login"), new PageAssertionsToHaveURLOptions { Timeout = 60_000 });
        await Assertions.Expect(victim.Locator("[data-testid=users-table]")).ToHaveCountAsync(0);

        // Signed in again, the same person gets a Viewer's portal: the admin page refused, no Users link.
        await victim.FillAsync("#email", VictimEmail);
        await victim.FillAsync("#password", VictimPassword);
        await victim.ClickAsync("button[type=submit]");
        await Assertions.Expect(victim).ToHaveURLAsync(new Regex("/account/denied"));
        await victim.ClickAsync("text=Back to the overview");
        await WaitInteractiveAsync(victim);
        await Assertions.Expect(victim.Locator("[data-testid=user-name]")).ToHaveTextAsync(VictimEmail);
        await Assertions.Expect(victim.Locator("a.mud-nav-link:has-text('Users')")).ToHaveCountAsync(0);
    }
}
