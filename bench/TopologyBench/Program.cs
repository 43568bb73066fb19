using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Meshwork.E2E;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Playwright;
using TopologyBench;

// Topology benchmark: a synthetic mesh (one simulated proxy per service, reporting its edges every second) against a
// real control plane, shown by a real portal's topology page in headless Chromium.
//   --services N (500)   --edges E (2000)   --seconds S (measured, 30)   --clients K (most extra hub clients for memory, 40)
//   --webgl off          Chromium without WebGL (Chromium.NoWebGl), so the page draws with the 2D canvas; by default it
//                        has WebGL 2 (SwiftShader, on the CPU), as a browser with a GPU has
//   --profile FILE       also records the page's JavaScript CPU profile over the measured seconds (Chromium's .cpuprofile)
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
int Option(string name, int fallback) => options.TryGetValue(name, out var v) && int.TryParse(v, out var n) ? n : fallback;
var mesh = new SyntheticMesh(Option("services", 500), Option("edges", 2000));
var seconds = Option("seconds", 30);
var clients = Option("clients", 40);
var webgl = options.GetValueOrDefault("webgl") != "off";
var profileFile = options.GetValueOrDefault("profile");
var inv = CultureInfo.InvariantCulture;
void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}");
const string AdminEmail = "bench@meshwork.test";
const string AdminPassword = "Bench-Admin-Passw0rd!";

// --- PostgreSQL, the control plane and the portal watching it, as deployed (real processes).
var connectionString = await MigratedDatabase.CreateAsync();
string secret;
await using (var db = MigratedDatabase.OpenSession(connectionString))
    secret = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("bench", "*", "*", TimeSpan.FromHours(2),
        new ChangeActor("bench", ChangeSource.System), allowWildcard: true)).Secret;
var grpcPort = FreePort.Next();
var trustBundle = Path.Combine(Directory.CreateTempSubdirectory("meshwork-topology-bench-").FullName, "trust-bundle.pem");
await using var controlPlane = await MeshworkProcess.StartControlPlaneAsync(connectionString, grpcPort, trustBundle);
var address = $"https://127.0.0.1:{grpcPort}";
await using var portal = await MeshworkProcess.StartPortalAsync(connectionString, AdminEmail, AdminPassword, address, trustBundle);
Log($"control plane {address}, portal {portal.Url}");

// --- the fleet: one simulated proxy per service, each reporting its traffic every second.
var fleet = new SyntheticFleet(mesh, address, trustBundle, secret);
using var stop = new CancellationTokenSource();

// --- the browser: sign in, open Topology, wait until every service's version is drawn.
using var playwright = await Playwright.CreateAsync();
await using var browser = await Chromium.LaunchAsync(playwright, webgl ? null : Chromium.NoWebGl);
var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
var page = await context.NewPageAsync();
// The browser's own frame rate on this machine, on an empty page: what the graph's frame times compare with.
const string CountFrames = """
    ms => new Promise(resolve => {
        const frames = []; let last = performance.now(); const end = last + ms;
        const tick = now => { frames.push(now - last); last = now; if (now < end) requestAnimationFrame(tick); else resolve(frames); };
        requestAnimationFrame(tick);
    })
    """;
var blankFrames = await page.EvaluateAsync<double[]>(CountFrames, 3000);
Log($"empty page: {blankFrames.Length} frames in 3 s, p95 {Percentile(blankFrames, 0.95):0.0} ms");
await page.GotoAsync(portal.Url + "/topology");
await page.FillAsync("#email", AdminEmail);
await page.FillAsync("#password", AdminPassword);
await page.ClickAsync("button[type=submit]");
await page.Locator("[data-interactive=true]").WaitForAsync();
const string Graph = "document.querySelector('[data-testid=topology-graph]')";
var loadWatch = System.Diagnostics.Stopwatch.StartNew();
await page.WaitForFunctionAsync($"n => Number({Graph}?.dataset.nodes ?? 0) >= n", 2 * mesh.Services,
    new PageWaitForFunctionOptions { Timeout = 900_000, PollingInterval = 1000 });
var loadSeconds = loadWatch.Elapsed.TotalSeconds;
Log($"graph drawn in {loadSeconds:0.0} s: {await page.EvaluateAsync<string>($"() => {Graph}.dataset.nodes")} nodes, {await page.EvaluateAsync<string>($"() => {Graph}.dataset.edges")} edges");
// Which of Cytoscape's renderers the page chose (topology-renderer.js): WebGL for a large graph where the browser has it.
var renderer = await page.EvaluateAsync<string>($"() => {Graph}.dataset.renderer");
Log($"drawn with {renderer} (browser WebGL flags {(webgl ? "on" : "off")})");

// --- measured: S seconds of deltas (arrival to the frame drawn after them) and every frame's duration.
await Task.Delay(5000);
await page.EvaluateAsync($$"""
    () => {
        {{Graph}}.meshworkGraph.timings.length = 0;
        window.benchRedraws = { count: {{Graph}}.meshworkGraph.cy.renderer().redrawCount ?? 0, ms: {{Graph}}.meshworkGraph.cy.renderer().redrawTotalTime ?? 0 };
        window.benchFrames = [];
        let last = performance.now();
        const tick = now => { window.benchFrames.push(now - last); last = now; if (!window.benchStop) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
    }
    """);
var profiler = profileFile is null ? null : await context.NewCDPSessionAsync(page);
if (profiler is not null)
{
    await profiler.SendAsync("Profiler.enable");
    await profiler.SendAsync("Profiler.start");
}
await Task.Delay(TimeSpan.FromSeconds(seconds));
if (profiler is not null)
{
    var profile = await profiler.SendAsync("Profiler.stop");
    await File.WriteAllTextAsync(profileFile!, profile!.Value.GetProperty("profile").GetRawText());
    Log($"CPU profile written to {profileFile}");
}
var frames = await page.EvaluateAsync<double[]>("() => { window.benchStop = true; return window.benchFrames; }");
var updates = await page.EvaluateAsync<double[]>($"() => {Graph}.meshworkGraph.timings.slice()");
// Cytoscape's own count and time of canvas redraws over the measured seconds: how often and how long the graph was drawn.
var redraws = await page.EvaluateAsync<double[]>($"() => {{ const r = {Graph}.meshworkGraph.cy.renderer(); return [r.redrawCount - window.benchRedraws.count, r.redrawTotalTime - window.benchRedraws.ms]; }}");
var drawnNodes = await page.EvaluateAsync<string>($"() => {Graph}.dataset.nodes");
var drawnEdges = await page.EvaluateAsync<string>($"() => {Graph}.dataset.edges");
Log($"{updates.Length} updates, {frames.Length} frames in {seconds} s");

// --- server memory per client: the slope of the portal's live managed heap (after a full collection) over the number of
// extra topology streams (the browser's cookie, each read as it comes), read at five counts from 1 to K, three times
// at each: one difference of two readings moved with what else was alive at either moment (the views all streams share
// are replaced every second, a message may be mid-write) by more than the clients' own memory. The RSS is reported the
// same way; garbage not yet collected moves it by more than the clients do.
var cookie = string.Join("; ", (await context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
var hubs = new List<HubConnection>();
var received = new List<StrongBox<int>>();
var readers = new List<Task>();
var heapReadings = new List<(double X, double Y)>();
var rssReadings = new List<(double X, double Y)>();
// From one client, not none: the first hub client of its kind costs once what more of them share (its filter's views,
// the hub's first .NET client), which is not a cost per client.
var levels = Enumerable.Range(0, 5).Select(i => 1 + (clients - 1) * i / 4).Distinct().ToArray();
foreach (var level in levels)
{
    while (hubs.Count < level)
    {
        var hub = new HubConnectionBuilder().WithUrl(portal.Url + "/hubs/mesh", o => o.Headers["Cookie"] = cookie).Build();
        await hub.StartAsync();
        hubs.Add(hub);
        var count = new StrongBox<int>();
        received.Add(count);
        var stream = hub.StreamAsync<JsonElement>("Topology", null, stop.Token);
        readers.Add(Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in stream) Interlocked.Increment(ref count.Value);
            }
            catch (Exception ex) when (ex is OperationCanceledException or HubException or InvalidOperationException)
            {
            }
        }));
    }
    // Every stream past its snapshot and two deltas: each holds what a client in the steady state holds.
    var settled = DateTime.UtcNow + TimeSpan.FromMinutes(2);
    while (received.Any(c => Volatile.Read(ref c.Value) < 3))
    {
        if (DateTime.UtcNow > settled)
            throw new InvalidOperationException($"hub clients did not get a snapshot and two deltas within 2 minutes: {string.Join(",", received.Select(c => c.Value))}");
        await Task.Delay(250);
    }
    for (var reading = 0; reading < 3; reading++)
    {
        await Task.Delay(1500);
        var heap = await HeapOrNullAsync();
        var rss = RssKb(portal.ProcessId);
        Log($"{level} extra clients: live heap {heap?.LiveBytes / 1024} kB (heap size {heap?.SizeBytes / 1024} kB), RSS {rss} kB");
        if (heap is not null) heapReadings.Add((level, heap.LiveBytes / 1024.0));
        rssReadings.Add((level, rss));
    }
}
// Without heap readings at two counts (the diagnostics port refused), the RSS slope stands in, and the detail line says so.
var memorySource = heapReadings.Select(r => r.X).Distinct().Count() >= 2 ? "live_heap_slope" : "rss_slope";
var memoryFit = LinearFit.Of(memorySource == "live_heap_slope" ? heapReadings : rssReadings);
var rssFit = LinearFit.Of(rssReadings);
var kbPerClient = memoryFit.Slope;
Log($"per extra client: {memoryFit.Slope:0} kB (standard error {memoryFit.SlopeStandardError:0}, {memorySource}); RSS slope {rssFit.Slope:0} kB");
string ByLevel(List<(double X, double Y)> readings) => string.Join("/", readings.GroupBy(r => r.X).Select(g => string.Create(inv, $"{g.Key}:{Median(g.Select(r => r.Y).ToArray()):0}")));

foreach (var hub in hubs) await hub.DisposeAsync();
await stop.CancelAsync();
await fleet.DisposeAsync();

Console.WriteLine(string.Create(inv,
    $"detail: load_s={loadSeconds:0.0} drawn_nodes={drawnNodes} drawn_edges={drawnEdges} updates={updates.Length} update_p50_ms={Percentile(updates, 0.5):0} frames={frames.Length} frame_p50_ms={Percentile(frames, 0.5):0.0} frame_max_ms={(frames.Length == 0 ? 0 : frames.Max()):0} redraws={redraws[0]:0} redraw_mean_ms={(redraws[0] == 0 ? 0 : redraws[1] / redraws[0]):0} empty_page_frame_p95_ms={Percentile(blankFrames, 0.95):0.0} renderer={renderer} kb_per_client_se={memoryFit.SlopeStandardError:0} rss_kb_per_client={rssFit.Slope:0} live_heap_kb_by_clients={ByLevel(heapReadings)} memory={memorySource}"));
Console.WriteLine(string.Create(inv,
    $"topology: nodes={mesh.Services} edges={mesh.Services * mesh.EdgesPerService} update_p95_ms={Percentile(updates, 0.95):0} frame_p95_ms={Percentile(frames, 0.95):0.0} kb_per_client={kbPerClient:0}"));
return 0;

async Task<HeapAfterCollection?> HeapOrNullAsync()
{
    try
    {
        return await ManagedHeap.AfterFullCollectionAsync(portal.ProcessId, TimeSpan.FromMinutes(2));
    }
    catch (Exception ex) when (ex is TimeoutException or ServerNotAvailableException or IOException)
    {
        Log($"the portal's managed heap could not be read: {ex.Message}");
        return null;
    }
}

static long RssKb(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    return 0;
}

static double Median(double[] values) => Percentile(values, 0.5);

static double Percentile(IReadOnlyList<double> values, double q)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
