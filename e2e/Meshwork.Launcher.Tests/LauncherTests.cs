using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meshwork.Testing.Waiting;

namespace Meshwork.Launcher.Tests;

/// <summary>
/// README's promise, end to end through the launcher itself: `./meshwork up` installs what is
/// missing and runs PostgreSQL, the control plane, the portal and the demo shop with live traffic
/// over every edge of its call graph and a gateway a user can curl;
/// `./meshwork status` lists them; `./meshwork down` stops every process and the cluster; and a
/// second `up` on the same state folder comes back with the stored data.
/// </summary>
public sealed class LauncherTests : IAsyncLifetime
{
    // Safety limits, not expectations: the first `up` publishes five apps (about a minute on 2 cores).
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private LauncherSystem system = null!;

    public Task InitializeAsync()
    {
        system = LauncherSystem.Create();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Fact]
    public async Task Up_RunsTheWholeSystemWithTraffic_Down_StopsIt_AndUpAgainKeepsTheStoredData()
    {
        var firstPids = await UpAsync();
        var adminPassword = await File.ReadAllTextAsync(system.StateFile("admin.password"));
        var trustBundle = await File.ReadAllTextAsync(system.StateFile("trust-bundle.pem"));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", trustBundle);

        await AssertPortalSignsInAndShowsTheConnectedFleetAsync(adminPassword);
        await AssertShopTrafficFlowsOverEveryEdgeWithoutFailuresAsync();
        await AssertGatewayServesAPageComposedFromCatalogAndReviewsAsync();

        var status = await RunAsync("status");
        Assert.Matches(new Regex($@"^postgres\s+running\s+127\.0\.0\.1:{system.PostgresPort}\b", RegexOptions.Multiline), status.Output);
        foreach (var (name, pid) in firstPids)
            Assert.Matches(new Regex($@"^{Regex.Escape(name)}\s+running\s+pid {pid}\b", RegexOptions.Multiline), status.Output);

        await DownAsync(firstPids);

        // The same state folder again: the cluster and every generated secret are reused.
        var secondPids = await UpAsync();
        Assert.Equal(adminPassword, await File.ReadAllTextAsync(system.StateFile("admin.password")));
        // The mesh root's key is stored in PostgreSQL (encrypted with STATE/ca.key): same database, same root.
        Assert.Equal(trustBundle, await File.ReadAllTextAsync(system.StateFile("trust-bundle.pem")));
        // The seeder creates only missing resources: it found all of them stored.
        Assert.Contains("demo desired state present", await File.ReadAllTextAsync(system.StateFile("logs", "demo-seed.log")));
        await AssertPortalSignsInAndShowsTheConnectedFleetAsync(adminPassword);
        await AssertShopTrafficFlowsOverEveryEdgeWithoutFailuresAsync();
        await AssertGatewayServesAPageComposedFromCatalogAndReviewsAsync();

        await DownAsync(secondPids);
    }

    private async Task<IReadOnlyDictionary<string, int>> UpAsync()
    {
        var up = await system.RunAsync("up", UpTimeout);
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("Meshwork is up.", up.Output);
        var pids = system.RecordedPids();
        Assert.Equal(LauncherSystem.ProcessNames.Order(), pids.Keys.Order());
        foreach (var (name, pid) in pids)
            Assert.True(LauncherSystem.IsAlive(pid), $"{name} (pid {pid}) is not running after up; log {system.StateFile("logs", name + ".log")}");
        // The control plane: started and supervised by the portal, healthy before `up` returned.
        var controlPlanes = system.ControlPlanePids();
        Assert.Equal(["control-plane"], controlPlanes.Keys);
        return pids.Concat(controlPlanes).ToDictionary();
    }

    private async Task DownAsync(IReadOnlyDictionary<string, int> pids)
    {
        await RunAsync("down");
        await Eventually.HoldsAsync(() => Task.FromResult(pids.Values.All(pid => !LauncherSystem.IsAlive(pid))),
            "every process `up` recorded has exited: " + string.Join(", ", pids.Where(p => LauncherSystem.IsAlive(p.Value)).Select(p => $"{p.Key} ({p.Value})")),
            Patience);
        Assert.Empty(system.RecordedPids());
        Assert.False(File.Exists(Path.Combine(system.PostgresDataDirectory, "postmaster.pid")), "PostgreSQL still has its postmaster.pid after down");
        Assert.False(LauncherSystem.Listening(system.PostgresPort), $"something still listens on PostgreSQL's port {system.PostgresPort} after down");
        var status = await RunAsync("status");
        Assert.Matches(new Regex(@"^postgres\s+stopped\b", RegexOptions.Multiline), status.Output);
        Assert.Matches(new Regex(@"^processes\s+none started", RegexOptions.Multiline), status.Output);
    }

    private async Task<LauncherResult> RunAsync(string command)
    {
        var result = await system.RunAsync(command, CommandTimeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>Health, the admin's sign-in with the generated password, and the Fleet page listing
    /// the sidecars from the control plane's status stream (so the portal reached it over TLS with the trust bundle).</summary>
    private async Task AssertPortalSignsInAndShowsTheConnectedFleetAsync(string adminPassword)
    {
        using var portal = new PortalClient(system.PortalPort);
        var health = await portal.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health?.Status);
        var signIn = await portal.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, signIn?.Status);
        Assert.Contains("type=\"password\"", signIn!.Value.Body);

        Assert.True(await portal.SignInAsync(LauncherSystem.AdminEmail, adminPassword), "the admin could not sign in with STATE/admin.password");
        var fleet = "";
        await HoldsShowingAsync(async () =>
        {
            fleet = (await portal.GetAsync("/fleet"))?.Body ?? "";
            return LauncherSystem.Proxies.All(proxy => fleet.Contains($"<code>{proxy}</code>", StringComparison.Ordinal))
                && fleet.Contains("<code>control-plane</code>", StringComparison.Ordinal);
        }, "the portal's Fleet page lists the demo shop's gateway and sidecars, and the control plane replica it runs", () => $"proxies listed: {string.Join(", ", Regex.Matches(fleet, "<code>([^<]*)</code>").Select(m => m.Groups[1].Value))}; portal log {system.StateFile("logs", "portal.log")}");
    }

    /// <summary>Eventually, with what was last seen in the failure message.</summary>
    private static async Task HoldsShowingAsync(Func<Task<bool>> condition, string what, Func<string> lastSeen)
    {
        try
        {
            await Eventually.HoldsAsync(condition, what, Patience);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} ({lastSeen()})", e);
        }
    }

    /// <summary>
    /// The last warnings and errors of the sidecars, control planes and traffic generator, each with the indented lines
    /// under it (the console logger puts the message and the exception there): their logs vanish with
    /// the test's state folder.
    /// </summary>
    private string SidecarWarnings()
    {
        var logs = system.StateFile("logs");
        if (!Directory.Exists(logs)) return "(no logs folder)";
        var found = new List<string>();
        foreach (var file in Directory.GetFiles(logs, "*.log"))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith("sidecar-", StringComparison.Ordinal) && !name.StartsWith("control-plane", StringComparison.Ordinal)
                && name != "demo-traffic.log") continue;
            var lines = File.ReadAllLines(file);
            var entries = new List<string>();
            for (var i = 0; i < lines.Length; i++)
            {
                if (!IsProblem(lines[i])) continue;
                var body = lines.Skip(i + 1).TakeWhile(l => l.StartsWith(' ')).Take(4).Select(l => l.Trim());
                entries.Add($"{name}: {lines[i]} {string.Join(" | ", body)}");
            }
            found.AddRange(entries.TakeLast(15));
        }
        return string.Join("\n", found);

        // The traffic generator writes "failed #N ..." for each request that failed, with why.
        static bool IsProblem(string line) =>
            line.StartsWith("failed #", StringComparison.Ordinal) ||
            line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) ||
            line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal);
    }

    /// <summary>
    /// The shop's call graph as the proxies measured it: each caller's proxy sends 2xx to its callee
    /// (outbound rows) and each callee's sidecar serves its one caller (inbound rows, the caller named
    /// by its certificate): gateway -> frontend -> catalog -> pricing and frontend -> reviews -> ratings,
    /// every reviews version in the split, and nothing to catalog v2 while its weight is 0. No proxy
    /// has an error, failure or denial row, and the generator counts no failure.
    /// </summary>
    private async Task AssertShopTrafficFlowsOverEveryEdgeWithoutFailuresAsync()
    {
        (string Proxy, string Direction, string Source, string Destination, string? Version)[] edges =
        [
            ("gateway", "outbound", "gateway", "frontend", null),
            ("sidecar-frontend-v1", "inbound", "gateway", "frontend", "v1"),
            ("sidecar-frontend-v1", "outbound", "frontend", "catalog", "v1"),
            ("sidecar-frontend-v1", "outbound", "frontend", "reviews", "v1"),
            ("sidecar-frontend-v1", "outbound", "frontend", "reviews", "v2"),
            ("sidecar-frontend-v1", "outbound", "frontend", "reviews", "v3"),
            ("sidecar-catalog-v1", "inbound", "frontend", "catalog", "v1"),
            ("sidecar-catalog-v1", "outbound", "catalog", "pricing", null),
            ("sidecar-pricing-v1", "inbound", "catalog", "pricing", "v1"),
            ("sidecar-reviews-v1", "inbound", "frontend", "reviews", "v1"),
            ("sidecar-reviews-v2", "inbound", "frontend", "reviews", "v2"),
            ("sidecar-reviews-v3", "inbound", "frontend", "reviews", "v3"),
            ("sidecar-reviews-v1", "outbound", "reviews", "ratings", null),
            ("sidecar-reviews-v2", "outbound", "reviews", "ratings", null),
            ("sidecar-reviews-v3", "outbound", "reviews", "ratings", null),
            ("sidecar-ratings-v1", "inbound", "reviews", "ratings", "v1"),
        ];
        foreach (var edge in edges)
        {
            SidecarStats? stats = null;
            await HoldsShowingAsync(async () =>
            {
                stats = await SidecarStats.ReadAsync(system.ProxyAdminPort(edge.Proxy));
                return stats is { Snapshot.Version: > 0 } && stats.Traffic.Any(t => t.Direction == edge.Direction && t.Source == edge.Source
                    && t.Destination == edge.Destination && (edge.Version is null || t.Version == edge.Version) && t.StatusClass == "2xx" && t.Requests > 0);
            }, $"{edge.Proxy} measures {edge.Direction} 2xx traffic {edge.Source} -> {edge.Destination} {edge.Version}", () => $"last /stats: {stats}");
        }

        foreach (var proxy in LauncherSystem.Proxies)
        {
            var stats = await SidecarStats.ReadAsync(system.ProxyAdminPort(proxy));
            Assert.NotNull(stats);
            // "0xx" inbound is an attempt its caller gave up on before an answer: a per-try timeout can
            // pass on a heavily loaded machine, and the retry is answered. That is the policy working,
            // not a failed request: the callers' outbound rows and the generator prove every request
            // the user sent was answered.
            var failed = stats.Traffic.Where(row => !(row.Direction == "inbound" && row.StatusClass == "0xx")
                && (row.StatusClass, row.Failures, row.Denied) != ("2xx", 0L, 0L)).ToList();
            Assert.True(failed.Count == 0, $"{proxy} rows other than 2xx: {string.Join("; ", failed)}\n{SidecarWarnings()}");
        }
        // The canary is deployed and registered but its weight is 0: the frontend sends it nothing.
        var frontend = await SidecarStats.ReadAsync(system.ProxyAdminPort("sidecar-frontend-v1"));
        Assert.Equal(0, frontend!.Traffic.Where(t => t.Destination == "catalog" && t.Version == "v2").Sum(t => t.Requests));

        // The generator reports every 5 s; 100 answered requests take about 10 s at 10 requests/s.
        var log = system.StateFile("logs", "demo-traffic.log");
        await Eventually.HoldsAsync(() => Task.FromResult(TrafficGeneratorLog.Read(log).Any(r => r.Ok >= 100)),
            $"the traffic generator reports at least 100 answered requests ({log})", Patience);
        Assert.All(TrafficGeneratorLog.Read(log), report => Assert.Equal(0, report.Failed));
    }

    /// <summary>What README tells a user to do: curl the gateway and get a product page whose parts come from
    /// catalog (with pricing's price) and reviews (with ratings' stars), each named by the instance that served it.</summary>
    private async Task AssertGatewayServesAPageComposedFromCatalogAndReviewsAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync($"http://127.0.0.1:{system.GatewayPort}/products/1");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /products/1 at the gateway: {(int)response.StatusCode} {body}");
        using var page = JsonDocument.Parse(body);
        var product = page.RootElement.GetProperty("product");
        Assert.Equal("Sidecar espresso cup", product.GetProperty("name").GetString());
        Assert.Equal(9.5m, product.GetProperty("price").GetProperty("amount").GetDecimal());
        Assert.Equal("v1", product.GetProperty("catalogVersion").GetString());
        var reviews = page.RootElement.GetProperty("reviews");
        Assert.NotEmpty(reviews.GetProperty("reviews").EnumerateArray());
        Assert.True(reviews.GetProperty("rating").TryGetProperty("stars", out _), $"reviews without stars from ratings: {reviews}");
        var servedBy = page.RootElement.GetProperty("servedBy");
        Assert.Equal("catalog-v1-1", servedBy.GetProperty("catalog").GetString());
        Assert.Matches("^reviews-v[123]-1$", servedBy.GetProperty("reviews").GetString());
    }
}
