using System.Diagnostics;
using System.Globalization;
using ConvergenceBench;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Snapshots;
using Meshwork.Store;
using Meshwork.Testing.Postgres;

// Convergence benchmark: N simulated proxies against one real control plane process.
//   --proxies N   --changes K   --report-interval-ms MS (app health per proxy; 0 = none)   --streams-per-connection S
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
int Option(string name, int fallback) => options.TryGetValue(name, out var v) && int.TryParse(v, out var n) ? n : fallback;
var proxies = Option("proxies", 100);
var changes = Option("changes", proxies >= 5000 ? 3 : 5);
var reportInterval = TimeSpan.FromMilliseconds(Option("report-interval-ms", 1000));
var streamsPerConnection = Option("streams-per-connection", 50);
var inv = CultureInfo.InvariantCulture;
void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}");

// --- desired state: 10 services (v1/v2), a route on svc-0 that the benchmark flips between versions.
var connectionString = await MigratedDatabase.CreateAsync();
string secret;
await using (var db = MigratedDatabase.OpenContext(connectionString))
    secret = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("bench", "*", "*", TimeSpan.FromHours(2), "bench")).Secret;
async Task ApplyAsync(Resource resource)
{
    await using var db = MigratedDatabase.OpenContext(connectionString);
    var store = new ResourceService(db, TimeProvider.System);
    var current = await store.GetAsync(resource.Key);
    var result = await store.ApplyAsync(resource with { Metadata = resource.Metadata with { Version = current?.Resource.Metadata.Version ?? 0 } },
        new ChangeActor("bench", ChangeSource.Api));
    if (result is not ChangeResult.Applied) throw new InvalidOperationException($"apply failed: {result}");
}
HttpRoute Route(string version) => new()
{
    Metadata = new ResourceMetadata { Name = "bench-route" },
    ParentRefs = [new ParentRef { Name = "svc-0" }],
    Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "svc-0", Version = version }] }],
};
for (var s = 0; s < 10; s++)
    await ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = $"svc-{s}" }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] });
await ApplyAsync(Route("v1"));

// --- control plane
var cp = new ControlPlaneHost(connectionString);
await cp.StartAsync();
await Task.Delay(2000);
var baselineRss = cp.RssKb();
var baselineCpu = cp.CpuSeconds();
Log($"control plane up on {cp.Address}, RSS {baselineRss} kB");

// --- the fleet: 20 instances of the declared services (their endpoints are in every snapshot), the rest sidecars of undeclared services.
string? Marker(ProxySnapshot snapshot) =>
    snapshot.VirtualHosts.FirstOrDefault(v => v.Name == "svc-0.default")?.Rules.FirstOrDefault()?.Backends.FirstOrDefault()?.Cluster;
var channels = Enumerable.Range(0, (proxies + streamsPerConnection - 1) / streamsPerConnection)
    .Select(_ => ControlPlaneTls.Channel(cp.Address, cp.TrustBundleFile, NullLogger.Instance)).ToArray();
var fleet = Enumerable.Range(0, proxies).Select(i =>
{
    var service = i < 20 ? $"svc-{i / 2}" : $"sim-{i % 50}";
    var hello = new Hello
    {
        BootstrapToken = secret, ProxyId = $"bench-{i:D5}", Service = service, Namespace = "default", Version = "v1",
        InstanceAddress = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}:15006",
        Ports = { new NamedPort { Name = "inbound", Port = 15006 }, new NamedPort { Name = "outbound", Port = 15001 } },
    };
    return new SimProxy(channels[i / streamsPerConnection], hello, Marker);
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

if (!await WaitAsync(() => fleet.All(p => p.LastMarker == "svc-0.default|v1"), TimeSpan.FromMinutes(5)))
    throw new TimeoutException($"only {fleet.Count(p => p.LastMarker is not null)} of {proxies} proxies got a snapshot");
var connectSeconds = connectWatch.Elapsed.TotalSeconds;
var connectCpu = cp.CpuSeconds() - baselineCpu;
Log($"{proxies} proxies connected and ACKed in {connectSeconds:0.00} s (control plane CPU {connectCpu:0.00} s)");
await Task.Delay(3000);
var rss = cp.RssKb();
var rssPerProxy = (rss - baselineRss) / (double)proxies;
Log($"control plane RSS {rss} kB ({rssPerProxy:0.0} kB per proxy)");

// --- convergence: commit a route flip, time until every proxy ACKed a snapshot carrying it.
var latencies = new List<double>();
var lasts = new List<double>();
var changeCpu = new List<double>();
for (var k = 1; k <= changes; k++)
{
    var version = k % 2 == 1 ? "v2" : "v1";
    var cluster = $"svc-0.default|{version}";
    var cpuBefore = cp.CpuSeconds();
    await ApplyAsync(Route(version));
    var committed = Stopwatch.GetTimestamp();
    if (!await WaitAsync(() => fleet.All(p => p.LastMarker == cluster), TimeSpan.FromSeconds(120)))
        throw new TimeoutException($"change {k}: only {fleet.Count(p => p.LastMarker == cluster)} of {proxies} converged");
    var perProxy = fleet.Select(p => Stopwatch.GetElapsedTime(committed, p.LastAckTicks).TotalMilliseconds).ToArray();
    latencies.AddRange(perProxy);
    lasts.Add(perProxy.Max());
    await Task.Delay(1000);
    changeCpu.Add(cp.CpuSeconds() - cpuBefore);
    Log($"change {k} ({version}): p50 {Percentile(perProxy, 0.5):0} ms, last {perProxy.Max():0} ms");
}

// --- reconnect storm: crash the control plane, restart it, time until every proxy is back and ACKed a fresh snapshot.
await cp.KillAsync();
await Task.Delay(2000);
var connectsBefore = fleet.Select(p => p.Connects).ToArray();
var stormWatch = Stopwatch.StartNew();
var restartTicks = Stopwatch.GetTimestamp();
await cp.StartAsync();
var stormCpuStart = cp.CpuSeconds();
if (!await WaitAsync(() => fleet.Select((p, i) => p.Connects > connectsBefore[i] && p.LastAckTicks > restartTicks).All(x => x), TimeSpan.FromMinutes(5)))
    throw new TimeoutException($"storm: only {fleet.Where((p, i) => p.Connects > connectsBefore[i]).Count()} of {proxies} reconnected");
var stormSeconds = stormWatch.Elapsed.TotalSeconds;
var stormCpu = cp.CpuSeconds() - stormCpuStart;
Log($"reconnect storm: all {proxies} proxies back and ACKed {stormSeconds:0.00} s after the restart began (CPU {stormCpu:0.00} s)");

await stop.CancelAsync();
await Task.WhenAll(tasks);
await cp.KillAsync();
Directory.Delete(Path.GetDirectoryName(cp.TrustBundleFile)!, recursive: true);

var sorted = latencies.Order().ToArray();
Console.WriteLine(string.Create(inv, $"detail: proxies={proxies} changes={changes} connect_s={connectSeconds:0.00} connect_cpu_s={connectCpu:0.00} change_cpu_s={changeCpu.Average():0.00} storm_cpu_s={stormCpu:0.00} rss_kb={rss} baseline_rss_kb={baselineRss}"));
Console.WriteLine(string.Create(inv,
    $"convergence: proxies={proxies} p50_ms={Percentile(sorted, 0.5):0} p99_ms={Percentile(sorted, 0.99):0} last_ms={lasts.Max():0} storm_recovery_s={stormSeconds:0.0} rss_kb_per_proxy={rssPerProxy:0.0}"));
return 0;

static double Percentile(IReadOnlyList<double> values, double q)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
