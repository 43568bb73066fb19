using System.Diagnostics;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Snapshots;
using Meshwork.Testing.Processes;

namespace ConvergenceBench;

/// <summary>
/// bench/canary.sh: slider releases on a weighted split of svc-0 (v1/v2), each the store write the
/// portal's slider makes (ResourceService.ApplyAsync), timed from the call until every affected proxy
/// ACKed a snapshot carrying the new weights. Simulated proxies note their ACKs themselves; real proxy
/// processes (the demo mesh's three sidecars) are watched through their admin /snapshot, which changes
/// version when the proxy applied a snapshot, the moment it sends the ACK.
/// </summary>
internal static class CanaryReleases
{
    /// <summary>
    /// One untimed release first: the control plane's first compile after it started pays for JIT and
    /// caches once per process (about 100 ms more here), which no release on a running mesh pays.
    /// </summary>
    private const int WarmUpPercent = 5;

    /// <summary>The slider positions released in turn: v2's share, then back, so every release changes the split.</summary>
    public static int CanaryPercent(int release) => release % 2 == 1 ? 10 * (1 + release / 2 % 9) : 0;

    public static HttpRoute Split(int canaryPercent) => new()
    {
        Metadata = new ResourceMetadata { Name = "bench-route" },
        ParentRefs = [new ParentRef { Name = "svc-0" }],
        Rules =
        [
            new HttpRouteRule
            {
                BackendRefs =
                [
                    new BackendRef { Service = "svc-0", Version = "v1", Weight = 100 - canaryPercent },
                    new BackendRef { Service = "svc-0", Version = "v2", Weight = canaryPercent },
                ],
            },
        ],
    };

    /// <summary>The split a snapshot carries for svc-0, e.g. "90/10"; weights of 0 are not compiled in.</summary>
    public static string? Marker(ProxySnapshot snapshot)
    {
        var rule = snapshot.VirtualHosts.FirstOrDefault(v => v.Name == "svc-0.default")?.Rules.FirstOrDefault();
        if (rule is null) return null;
        int Weight(string version) => rule.Backends.FirstOrDefault(b => b.Cluster == $"svc-0.default|{version}")?.Weight ?? 0;
        var total = Math.Max(1, Weight("v1") + Weight("v2"));
        return $"{100 * Weight("v1") / total}/{100 * Weight("v2") / total}";
    }

    public static string MarkerOf(int canaryPercent) => $"{100 - canaryPercent}/{canaryPercent}";

    /// <summary>Release to ACK (ms) of every simulated proxy for each release.</summary>
    public static async Task<List<double>> TimeSimulatedAsync(IReadOnlyList<SimProxy> fleet, Func<Resource, Task> apply, int releases, Action<string> log)
    {
        await apply(Split(WarmUpPercent));
        await WaitAsync(() => fleet.All(p => p.LastMarker == MarkerOf(WarmUpPercent)), "the warm-up release did not reach every proxy");
        var latencies = new List<double>();
        for (var k = 1; k <= releases; k++)
        {
            var expected = MarkerOf(CanaryPercent(k));
            var released = Stopwatch.GetTimestamp();
            await apply(Split(CanaryPercent(k)));
            await WaitAsync(() => fleet.All(p => p.LastMarker == expected), $"release {k}: {fleet.Count(p => p.LastMarker == expected)} of {fleet.Count} proxies on {expected}");
            var perProxy = fleet.Select(p => Stopwatch.GetElapsedTime(released, p.LastAckTicks).TotalMilliseconds).ToArray();
            latencies.AddRange(perProxy);
            log($"release {k} ({expected}): last proxy ACKed {perProxy.Max():0} ms after the release");
            await Task.Delay(500);
        }
        return latencies;
    }

    /// <summary>
    /// The demo mesh: a caller's sidecar and one per version of svc-0, real proxy processes; release to
    /// applied (ms) on each of them for each release.
    /// </summary>
    public static async Task<List<double>> TimeRealAsync(ControlPlaneHost controlPlane, string token, Func<Resource, Task> apply, int releases, Action<string> log)
    {
        (string Id, string Service, string Version)[] sidecars = [("demo-web-1", "web", "v1"), ("svc-0-v1-1", "svc-0", "v1"), ("svc-0-v2-1", "svc-0", "v2")];
        var proxies = new List<MeshProxy>();
        try
        {
            foreach (var (id, service, version) in sidecars)
                proxies.Add(await MeshProxy.StartAsync([controlPlane.Address], controlPlane.TrustBundleFile, token, id, service, version, appAddress: null));
            await Task.Delay(3000); // the fleet's own pushes (instances joining) settle first
            await apply(Split(WarmUpPercent));
            await Task.Delay(1000);
            var latencies = new List<double>();
            for (var k = 1; k <= releases; k++)
            {
                var before = await Task.WhenAll(proxies.Select(VersionAsync));
                using var watching = new CancellationTokenSource();
                var released = Stopwatch.GetTimestamp();
                var applied = proxies.Select((p, i) => FirstVersionAfterAsync(p, before[i], released, watching.Token)).ToArray();
                await apply(Split(CanaryPercent(k)));
                var perProxy = await Task.WhenAll(applied).WaitAsync(TimeSpan.FromSeconds(60));
                latencies.AddRange(perProxy);
                log($"release {k} ({MarkerOf(CanaryPercent(k))}): last sidecar applied {perProxy.Max():0} ms after the release");
                await Task.Delay(500);
            }
            return latencies;
        }
        finally
        {
            foreach (var proxy in proxies) await proxy.DisposeAsync();
        }
    }

    private static async Task<long> VersionAsync(MeshProxy proxy) => (await proxy.SnapshotInfoAsync()).GetProperty("version").GetInt64();

    /// <summary>Polls the proxy's admin endpoint every 2 ms; the time from the release until it serves a newer snapshot.</summary>
    private static async Task<double> FirstVersionAfterAsync(MeshProxy proxy, long before, long released, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (await VersionAsync(proxy) > before) return Stopwatch.GetElapsedTime(released).TotalMilliseconds;
            await Task.Delay(2, ct);
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException(failure);
            await Task.Delay(2);
        }
    }
}
