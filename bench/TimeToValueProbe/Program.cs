using System.Globalization;
using Meshwork.E2E;
using Microsoft.Playwright;

// Usage: TimeToValueProbe PORTAL-URL EMAIL PASSWORD-FILE [TIMEOUT-SECONDS]
// Waits for the portal to answer (it may not be started yet), signs in, opens Topology and waits until the
// graph has an edge whose label shows more than 0 requests per second. Prints, on one line,
// "seen_unix_ms=… edge=… label=…"; exits 1 when the timeout passes first.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: TimeToValueProbe PORTAL-URL EMAIL PASSWORD-FILE [TIMEOUT-SECONDS]");
    return 2;
}
var (portal, email, passwordFile) = (args[0].TrimEnd('/'), args[1], args[2]);
var timeout = TimeSpan.FromSeconds(args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 600);
using var deadline = new CancellationTokenSource(timeout);

// The portal and its admin password appear while `./meshwork up` runs: poll both.
using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
{
    while (true)
    {
        deadline.Token.ThrowIfCancellationRequested();
        try
        {
            if (File.Exists(passwordFile) && (await http.GetAsync(portal + "/health", deadline.Token)).IsSuccessStatusCode) break;
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
        {
        }
        await Task.Delay(250, deadline.Token);
    }
}

using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright);
var page = await browser.NewPageAsync();
page.SetDefaultTimeout((float)timeout.TotalMilliseconds);
await page.GotoAsync(portal + "/topology");
await page.FillAsync("#email", email);
await page.FillAsync("#password", (await File.ReadAllTextAsync(passwordFile)).Trim());
await page.ClickAsync("button[type=submit]");
await page.Locator("[data-interactive=true]").WaitForAsync();

// An edge with traffic, as the page's Cytoscape instance draws it ("12.5 rps · 100% · p99 8 ms").
const string EdgeWithTraffic = """
    () => {
        const cy = document.querySelector('[data-testid=topology-graph]')?.meshworkGraph?.cy;
        const edge = cy?.edges().filter(e => { const m = /([\d.]+) rps/.exec(e.data('label') ?? ''); return m && Number(m[1]) > 0; }).first();
        return edge && edge.nonempty() ? edge.id() + '|' + edge.data('label').replace(/\n/g, ' ') : null;
    }
    """;
var found = await page.WaitForFunctionAsync(EdgeWithTraffic, null, new PageWaitForFunctionOptions { PollingInterval = 250, Timeout = (float)timeout.TotalMilliseconds });
var seen = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
var parts = (await found.JsonValueAsync<string>()).Split('|', 2);
Console.WriteLine($"seen_unix_ms={seen} edge={parts[0]} label={parts[1].Replace(' ', '_')}");
return 0;
