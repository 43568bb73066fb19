using System.Diagnostics;
using System.Globalization;
using ConvergenceBench;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Snapshots;
using Meshwork.Protocol.Status;
using Meshwork.Store;
using Meshwork.Testing.Postgres;

// Convergence benchmark: N simulated proxies against one or more real control plane processes (replicas over one database).
//   --proxies N   --changes K   --warmup W (untimed changes first, default 2)   --report-interval-ms MS (app health per proxy; 0 = none)   --streams-per-connection S
//   --idle-seconds S  (default 10) the window of the idle CPU figure: it must span the control plane's periodic work
//                 (registry resync every 5 s, signal history every 10 s), or it depends on which of those fell into it
//   --replicas R  (default 1; R > 1 spreads the proxies over the replicas and measures the failover of a killed one)
//   --compile-only  K rounds of the compile work for N proxies in process (per proxy vs shared part prepared once), no database
//   --canary      (bench/canary.sh) K slider releases on a weighted split instead, timed from the store call to every ACK;
//                 with --real-proxies on the demo mesh's three real sidecar processes instead of N simulated proxies
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
int Option(string name, int fallback) => options.TryGetValue(name, out var v) && int.TryParse(v, out var n) ? n : fallback;
var proxies = Option("proxies", 100);
var changes = Option("changes", proxies >= 5000 ? 3 : 5);
var warmup = Option("warmup", 2);
var reportInterval = TimeSpan.FromMilliseconds(Option("report-interval-ms", 1000));
var streamsPerConnection = Option("streams-per-connection", 50);
var replicas = Option("replicas", 1);
var idleSeconds = Option("idle-seconds", 10);
var canary = options.ContainsKey("canary");
var realProxies = options.ContainsKey("real-proxies");
if (realProxies) proxies = 0;
if (options.ContainsKey("compile-only"))
{
    CompileRounds.Run(proxies, changes);
    return 0;
}
var inv = CultureInfo.InvariantCulture;
void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}");

// --- desired state: 10 services (v1/v2), a route on svc-0 that the benchmark flips between versions.
var connectionString = await MigratedDatabase.CreateAsync();
string secret;
await using (var db = MigratedDatabase.OpenSession(connectionString))
    secret = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("bench", "*", "*", TimeSpan.FromHours(2), new ChangeActor("bench", ChangeSource.System), allowWildcard: true)).Secret;
Task ApplyAsync(Resource resource) => StoredResources.ReplaceAsync(connectionString, resource, new ChangeActor("bench", ChangeSource.Api));
HttpRoute Route(string version) => new()
{
    Metadata = new ResourceMetadata { Name = "bench-route" },
    ParentRefs = [new ParentRef { Name = "svc-0" }],
    Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "svc-0", Version = version }] }],
};
for (var s = 0; s < 10; s++)
    await ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = $"svc-{s}" }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] });
await ApplyAsync(canary ? CanaryReleases.Split(0) : Route("v1"));
var initialMarker = canary ? CanaryReleases.MarkerOf(0) : "svc-0.default|v1";

// --- control plane replicas: one after another, so the first creates the root CA and the others load it.
var cps = ControlPlaneHost.Replicas(connectionString, replicas);
foreach (var replica in cps)
    await replica.StartAsync();
long Rss() => cps.Sum(c => c.RssKb());
double Cpu() => cps.Sum(c => c.CpuSeconds());
await Task.Delay(2000);
var baselineRss = Rss();
var baselineCpu = Cpu();
Log($"control plane up on {string.Join(", ", cps.Select(c => c.Address))}, RSS {baselineRss} kB");

// --- the fleet: 20 instances of the declared services (their endpoints are in every snapshot), the rest sidecars of undeclared services.
string? Marker(ProxySnapshot snapshot) =>
    snapshot.VirtualHosts.FirstOrDefault(v => v.Name == "svc-0.default")?.Rules.FirstOrDefault()?.Backends.FirstOrDefault()?.Cluster;
// channels[replica][group]: proxy i uses group i / S on every replica (at most S streams per connection);
// which replica it is on is up to it, as for a real proxy (the first chosen from its id).
var addresses = cps.Select(c => c.Address).ToArray();
var channels = cps.Select(cp => Enumerable.Range(0, (proxies + streamsPerConnection - 1) / streamsPerConnection)
    .Select(_ => ControlPlaneTls.Channel(cp.Address, cp.TrustBundleFile, NullLogger.Instance)).ToArray()).ToArray();
var fleet = Enumerable.Range(0, proxies).Select(i =>
{
    var service = i < 20 ? $"svc-{i / 2}" : $"sim-{i % 50}";
    var hello = new Hello
    {
        BootstrapToken = secret, ProxyId = $"bench-{i:D5}", Service = service, Namespace = "default", Version = "v1",
        InstanceAddress = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}:15006",
        Ports = { new NamedPort { Name = "inbound", Port = 15006 }, new NamedPort { Name = "outbound", Port = 15001 } },
    };
    return new SimProxy(addresses, channels.Select(c => c[i / streamsPerConnection]).ToArray(), hello, canary ? CanaryReleases.Marker : Marker);
}).ToArray();
using var stop = new CancellationTokenSource();
var connectWatch = Stopwatch.StartNew();
var tasks = fleet.Select(p => Task.Run(() => p.RunAsync(reportInterval, stop.Token))).ToArray();

async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < timeout)
    {
        if (condition()) return true;
        await Task.Delay(5);
    }
    return condition();
}

if (!await WaitAsync(() => fleet.All(p => p.LastMarker == initialMarker), TimeSpan.FromMinutes(5)))
    throw new TimeoutException($"only {fleet.Count(p => p.LastMarker is not null)} of {proxies} proxies got a snapshot");
var connectSeconds = connectWatch.Elapsed.TotalSeconds;
var connectCpu = Cpu() - baselineCpu;
Log($"{proxies} proxies connected and ACKed in {connectSeconds:0.00} s (control plane CPU {connectCpu:0.00} s)");
await Task.Delay(3000);
var rss = Rss();
var rssPerProxy = (rss - baselineRss) / (double)proxies;
Log($"control plane RSS {rss} kB ({rssPerProxy:0.0} kB per proxy)");

// --- canary (bench/canary.sh): slider releases, timed from the store call to every affected proxy's ACK; nothing else.
if (canary)
{
    var released = realProxies
        ? await CanaryReleases.TimeRealAsync(cps[0], secret, ApplyAsync, changes, Log)
        : await CanaryReleases.TimeSimulatedAsync(fleet, ApplyAsync, changes, Log);
    await stop.CancelAsync();
    await Task.WhenAll(tasks);
    foreach (var replica in cps)
        await replica.KillAsync();
    Console.WriteLine(string.Create(inv,
        $"canary: proxies={(realProxies ? 3 : proxies)} release_to_acked_p50_ms={Percentile(released, 0.5):0} release_to_acked_p99_ms={Percentile(released, 0.99):0}"));
    return 0;
}

// --- convergence: commit a route flip, time until every proxy ACKed a snapshot carrying it. The first W
// changes after start are not counted: they time the replicas' JIT warming up (tiered compilation of the
// compile path), not steady convergence; the first one's last ACK is reported apart (first_change_last_ms).
var latencies = new List<double>();
var lasts = new List<double>();
var changeCpu = new List<double>();
double? firstChangeLast = null;
var cluster = "svc-0.default|v1";
for (var k = 1 - warmup; k <= changes; k++)
{
    var version = cluster.EndsWith("|v1", StringComparison.Ordinal) ? "v2" : "v1";
    cluster = $"svc-0.default|{version}";
    var cpuBefore = Cpu();
    await ApplyAsync(Route(version));
    var committed = Stopwatch.GetTimestamp();
    if (!await WaitAsync(() => fleet.All(p => p.LastMarker == cluster), TimeSpan.FromSeconds(120)))
        throw new TimeoutException($"change {k}: only {fleet.Count(p => p.LastMarker == cluster)} of {proxies} converged");
    var perProxy = fleet.Select(p => Stopwatch.GetElapsedTime(committed, p.LastAckTicks).TotalMilliseconds).ToArray();
    firstChangeLast ??= perProxy.Max();
    await Task.Delay(1000);
    var cpu = Cpu() - cpuBefore;
    if (k >= 1)
    {
        latencies.AddRange(perProxy);
        lasts.Add(perProxy.Max());
        changeCpu.Add(cpu);
    }
    Log($"{(k >= 1 ? $"change {k}" : "warm-up change")} ({version}): p50 {Percentile(perProxy, 0.5):0} ms, last {perProxy.Max():0} ms, control plane CPU {cpu:0.00} s");
}
// After the timed changes, not the warm-up ones: right after those the runtime is still promoting the compile
// path's methods to optimized code (its tiered compilation thread busy for seconds), which is warm-up, not background.
var idleCpuPerSecond = await IdleCpuPerSecondAsync();

// The fleet's steady background with no change (app health every second, lease renewals, registry
// re-reads); CPU per change includes this background over its own window (convergence plus one second).
async Task<double> IdleCpuPerSecondAsync()
{
    var before = Cpu();
    await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
    var perSecond = (Cpu() - before) / idleSeconds;
    Log($"idle: control plane CPU {perSecond:0.00} s/s over {idleSeconds} s with no change");
    return perSecond;
}

// In sync as the control plane reports it on its status stream (the portal's Fleet view): connected to
// a replica since a given time and ACKed every snapshot that replica sent it, none at all included. A
// replica pushes nothing to a proxy that already serves what it would compile, so a fresh ACK on the
// proxy's side is not something to wait for.
async Task<StatusWatch[]> WatchAsync(IEnumerable<ControlPlaneHost> hosts)
{
    var feeds = hosts.Select(c => StatusWatch.Start(new StatusStreamOptions(c.Address, c.StatusToken, c.TrustBundleFile, MinIntervalMs: 100))).ToArray();
    if (!await WaitAsync(() => feeds.All(f => f.Fold.Connected), TimeSpan.FromSeconds(30)))
        throw new TimeoutException("the control plane's status streams did not connect");
    return feeds;
}
bool InSync(StatusWatch[] feeds, SimProxy proxy, long sinceUnixMs) =>
    proxy.LastMarker == cluster &&
    feeds.Any(f => f.Fold.Proxy(proxy.Id) is { Connected: true } s && s.ConnectedSinceUnixMs >= sinceUnixMs && s.SentVersion == s.AckedVersion);
async Task StopWatchingAsync(StatusWatch[] feeds)
{
    foreach (var feed in feeds)
        await feed.DisposeAsync();
}

// --- failover (R > 1): crash replica 1, time until every proxy that was on it is on another replica
// and in sync there, serving the current route; then restart it for the storm.
double? failoverSeconds = null;
var failoverProxies = 0;
if (replicas > 1)
{
    var moving = fleet.Where(p => p.Replica == 0).ToArray();
    failoverProxies = moving.Length;
    var survivors = await WatchAsync(cps.Skip(1));
    var killUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var failoverWatch = Stopwatch.StartNew();
    await cps[0].KillAsync();
    if (!await WaitAsync(() => moving.All(p => InSync(survivors, p, killUnixMs)), TimeSpan.FromMinutes(5)))
        throw new TimeoutException($"failover: only {moving.Count(p => InSync(survivors, p, killUnixMs))} of {moving.Length} proxies of {cps[0].ReplicaId} on another replica and in sync");
    failoverSeconds = failoverWatch.Elapsed.TotalSeconds;
    Log($"failover: all {moving.Length} proxies of {cps[0].ReplicaId} on another replica and in sync {failoverSeconds:0.00} s after the kill");
    await StopWatchingAsync(survivors);
    await cps[0].StartAsync();
}

// --- reconnect storm: crash every replica, restart them, time until every proxy is back on one and in sync.
foreach (var replica in cps)
    await replica.KillAsync();
await Task.Delay(2000);
var stormWatch = Stopwatch.StartNew();
var restartUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
await Task.WhenAll(cps.Select(c => c.StartAsync()));
var stormCpuStart = Cpu();
var restarted = await WatchAsync(cps);
if (!await WaitAsync(() => fleet.All(p => InSync(restarted, p, restartUnixMs)), TimeSpan.FromMinutes(5)))
    throw new TimeoutException($"storm: only {fleet.Count(p => InSync(restarted, p, restartUnixMs))} of {proxies} back and in sync");
var stormSeconds = stormWatch.Elapsed.TotalSeconds;
var stormCpu = Cpu() - stormCpuStart;
await StopWatchingAsync(restarted);
Log($"reconnect storm: all {proxies} proxies back and in sync {stormSeconds:0.00} s after the restart began (CPU {stormCpu:0.00} s)");

await stop.CancelAsync();
await Task.WhenAll(tasks);
foreach (var replica in cps)
    await replica.KillAsync();
Directory.Delete(Path.GetDirectoryName(cps[0].TrustBundleFile)!, recursive: true);

var sorted = latencies.Order().ToArray();
var failover = failoverSeconds is { } seconds ? string.Create(inv, $" failover_s={seconds:0.0}") : "";
Console.WriteLine(string.Create(inv, $"detail: proxies={proxies} replicas={replicas} failover_proxies={failoverProxies} changes={changes} warmup_changes={warmup} first_change_last_ms={firstChangeLast:0} idle_cpu_s_per_s={idleCpuPerSecond:0.00} connect_s={connectSeconds:0.00} connect_cpu_s={connectCpu:0.00} change_cpu_s={changeCpu.Average():0.00} storm_cpu_s={stormCpu:0.00} rss_kb={rss} baseline_rss_kb={baselineRss}"));
Console.WriteLine(string.Create(inv,
    $"convergence: proxies={proxies} p50_ms={Percentile(sorted, 0.5):0} p99_ms={Percentile(sorted, 0.99):0} last_ms={lasts.Max():0} storm_recovery_s={stormSeconds:0.0} rss_kb_per_proxy={rssPerProxy:0.0}{failover}"));
return 0;

static double Percentile(IReadOnlyList<double> values, double q)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
