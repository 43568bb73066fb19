using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>Debian's Chromium, headless: `playwright install` cannot download browsers here (../shared/NOTES.md).</summary>
public static class Chromium
{
    private static readonly string[] Args =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    /// <summary>
    /// Also gives web-first assertions (Expect) 20 s instead of Playwright's 5: on a loaded CI machine a
    /// circuit's round trip through the store took longer (PortalJourneyTests failed so), and an assertion
    /// that passes later still fails when the page never gets there.
    /// </summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assertions.SetDefaultExpectTimeout(20_000);
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = Args });
    }
}
