using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>Debian's Chromium, headless: `playwright install` cannot download browsers here (../shared/NOTES.md).</summary>
public static class Chromium
{
    private static readonly string[] Args =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    /// <summary>
    /// How long an action (click, navigation) or a web-first assertion (Expect) waits, in ms, instead of
    /// Playwright's 30 s and 5 s: on a loaded CI machine (load average 50 on 2 cores was seen) a sign-in's
    /// redirect and a circuit's round trip through the store took over 20 s. An assertion that would pass
    /// later still fails when the page never gets there.
    /// </summary>
    public const float Patience = 60_000;

    /// <summary>
    /// A flag that takes WebGL away. With the flags above this Chromium (Debian's 156) still has WebGL 2, drawn by
    /// SwiftShader on the CPU (Playwright adds --enable-unsafe-swiftshader to every launch), so the topology graph
    /// draws a large mesh with WebGL; bench/topology.sh --webgl off measures a browser without it (the 2D canvas).
    /// </summary>
    public static readonly IReadOnlyList<string> NoWebGl = ["--disable-webgl"];

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, IEnumerable<string>? extraArgs = null)
    {
        Assertions.SetDefaultExpectTimeout(Patience);
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true, Args = [.. Args, .. extraArgs ?? []],
        });
    }
}
