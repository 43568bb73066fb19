using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>
/// The smoke journey in real Chromium against real portal and control plane processes and real
/// PostgreSQL: sign in as the admin, create a service, see it listed, see its audit entry and diff,
/// apply a route as YAML, see the live fleet state from the control plane. Screenshots of the key
/// pages go to MESHWORK_E2E_SCREENSHOTS (default: a temp folder) for a person to look at.
/// </summary>
public sealed class PortalJourneyTests : IAsyncLifetime
{
    private const string AdminEmail = "admin@meshwork.e2e";
    private const string AdminPassword = "E2e-Admin-Passw0rd!";

    private readonly string screenshots = Environment.GetEnvironmentVariable("MESHWORK_E2E_SCREENSHOTS")
        ?? Path.Combine(Path.GetTempPath(), "meshwork-e2e-screenshots");

    private MeshworkProcess? portal;
    private MeshworkProcess? controlPlane;
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var connectionString = await cluster.CreateDatabaseAsync();
        // The portal first (it migrates the database), watching the control plane's address; then the control plane.
        // The control plane writes the mesh root to the trust bundle; the portal reads it at each TLS handshake.
        var grpcPort = FreePort.Next();
        var trustBundle = Path.Combine(Path.GetTempPath(), $"meshwork-e2e-{Guid.NewGuid():N}-trust-bundle.pem");
        portal = await MeshworkProcess.StartPortalAsync(connectionString, AdminEmail, AdminPassword, $"https://127.0.0.1:{grpcPort}", trustBundle);
        controlPlane = await MeshworkProcess.StartControlPlaneAsync(connectionString, grpcPort, trustBundle);
        playwright = await Playwright.CreateAsync();
        browser = await Chromium.LaunchAsync(playwright);
        Directory.CreateDirectory(screenshots);
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
            await browser.DisposeAsync();
        playwright?.Dispose();
        if (controlPlane is not null)
            await controlPlane.DisposeAsync();
        if (portal is not null)
            await portal.DisposeAsync();
    }

    private async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, name + ".png"), FullPage = true });

    [Fact]
    public async Task Admin_SignsInCreatesServiceAndSeesItAudited()
    {
        var context = await browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        page.SetDefaultTimeout(Chromium.Patience);

        try
        {
            // Unauthenticated: the portal sends the browser to its sign-in form.
            await page.GotoAsync(portal!.Url + "/services");
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
            await ScreenshotAsync(page, "01-login");
            await page.FillAsync("#email", AdminEmail);
            await page.FillAsync("#password", AdminPassword);
            await page.ClickAsync("button[type=submit]");

            // Back on the Services page, signed in, once the circuit is live.
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/services$"));
            await page.Locator("[data-interactive=true]").WaitForAsync();
            await Assertions.Expect(page.Locator("[data-testid=user-name]")).ToHaveTextAsync(AdminEmail);
            await Assertions.Expect(page.GetByText("No services yet")).ToBeVisibleAsync();

            await page.FillAsync("input[data-testid=service-name]", "checkout");
            await page.ClickAsync("[data-testid=create-service]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Created service checkout");
            var row = page.Locator("[data-testid=services-table] tbody tr", new PageLocatorOptions { HasText = "checkout" });
            await Assertions.Expect(row).ToHaveCountAsync(1);
            await Assertions.Expect(row).ToContainTextAsync(AdminEmail);
            await ScreenshotAsync(page, "02-services");

            // The audit log names the person and the portal as the source; the diff shows the new content.
            await page.ClickAsync("a.mud-nav-link:has-text('Audit')");
            var entry = page.Locator("[data-testid=audit-table] tbody tr", new PageLocatorOptions { HasText = "Service/default/checkout" });
            await Assertions.Expect(entry).ToHaveCountAsync(1);
            await Assertions.Expect(entry).ToContainTextAsync(AdminEmail);
            await Assertions.Expect(entry).ToContainTextAsync("Portal");
            await Assertions.Expect(entry).ToContainTextAsync("Create");
            await entry.ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=diff-view] td.right.added").First).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid=diff-view]")).ToContainTextAsync("\"name\": \"checkout\"");
            await page.ClickAsync("[data-testid=verify-chain]");
            await Assertions.Expect(page.Locator("[data-testid=chain-status]")).ToContainTextAsync("Chain intact");
            await ScreenshotAsync(page, "03-audit");

            // Traffic: a route typed as YAML, validated and applied, then listed.
            await page.ClickAsync("a.mud-nav-link:has-text('Traffic')");
            await page.FillAsync("textarea[data-testid=yaml-editor]",
                "kind: HttpRoute\nmetadata:\n  name: checkout\nparentRefs:\n  - name: checkout\nrules:\n  - backendRefs:\n      - service: checkout\n        version: v1\n");
            await page.ClickAsync("[data-testid=yaml-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync("Applied HttpRoute/default/checkout");
            await Assertions.Expect(page.Locator("tbody tr", new PageLocatorOptions { HasText = "HttpRoute" })).ToHaveCountAsync(1);
            await ScreenshotAsync(page, "04-traffic");

            // Live state from the real control plane process: connected, no proxies yet, no traffic yet.
            await page.ClickAsync("a.mud-nav-link:has-text('Fleet')");
            await Assertions.Expect(page.GetByText("Configuration version compiled by the control plane")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("No proxies connected")).ToBeVisibleAsync();
            await ScreenshotAsync(page, "05-fleet");
            await page.ClickAsync("a.mud-nav-link:has-text('Topology')");
            await Assertions.Expect(page.GetByText("No traffic observed yet")).ToBeVisibleAsync();
            await page.ClickAsync("[data-testid=theme-toggle]");
            await ScreenshotAsync(page, "06-topology-dark");

            // Responsive: on a phone-sized screen the navigation drawer gets out of the way.
            await page.SetViewportSizeAsync(390, 800);
            await page.GotoAsync(portal.Url + "/services");
            await page.Locator("[data-interactive=true]").WaitForAsync();
            await Assertions.Expect(row).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("a.mud-nav-link:has-text('Audit')")).Not.ToBeVisibleAsync();
            await ScreenshotAsync(page, "07-services-phone");

            Assert.True(consoleErrors.Count == 0, "browser console errors (CSP?): " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            await ScreenshotAsync(page, "failure");
            throw new InvalidOperationException(
                $"journey failed: {e.Message}\nscreenshot {Path.Combine(screenshots, "failure.png")}, portal log {portal!.LogPath}", e);
        }
    }
}
