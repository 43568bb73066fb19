using System.Diagnostics;
using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace ConvergenceBench;

/// <summary>
/// --compile-only: the control plane's compile work for one round of N proxies, in process, without a
/// database or streams: each proxy compiled from scratch (the compiler before 2026-12-04) against the
/// shared part prepared once per round (what SnapshotPublisher does now), alternating, same inputs, same
/// hashes (checked). The desired state is the convergence bench's: 10 services (v1/v2), a route on svc-0,
/// 20 instances of declared services; proxies are sidecars of svc-0..9 and of undeclared services.
/// </summary>
public static class CompileRounds
{
    public static void Run(int proxies, int rounds)
    {
        Resource[] resources =
        [
            .. Enumerable.Range(0, 10).Select(s => new Service
            {
                Metadata = new ResourceMetadata { Name = $"svc-{s}" },
                Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
            }),
            new HttpRoute
            {
                Metadata = new ResourceMetadata { Name = "bench-route" },
                ParentRefs = [new ParentRef { Name = "svc-0" }],
                Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "svc-0", Version = "v1" }] }],
            },
        ];
        var instances = Enumerable.Range(0, 20).Select(i => new Instance
        {
            Id = $"bench-{i:D5}", Service = $"svc-{i / 2}", Version = "v1", Address = $"10.0.0.{i}:15006", ProxyId = $"bench-{i:D5}", Health = InstanceHealth.Healthy,
        }).ToArray();
        var identities = Enumerable.Range(0, proxies).Select(i => new ProxyIdentity
        {
            ProxyId = $"bench-{i:D5}", Service = i < 20 ? $"svc-{i / 2}" : $"sim-{i % 50}", Version = "v1", InboundPort = 15006, OutboundPort = 15001,
        }).ToArray();
        // A certificate-bearing snapshot, as every proxy of the control plane gets (contents do not matter for the cost).
        var certificates = new SnapshotCertificates { CertificateChainPem = new string('C', 1200), PrivateKeyPem = "", TrustBundlePem = new string('T', 700) };
        SnapshotInputs Inputs(ProxyIdentity proxy) => new() { Resources = resources, Instances = instances, Proxy = proxy, Certificates = certificates };

        string[] Alone() => identities.Select(p => SnapshotCompiler.Compile(Inputs(p)).Hash).ToArray();
        string[] Shared()
        {
            var mesh = SnapshotCompiler.Prepare(resources, instances, meshTls: true);
            return identities.Select(p => SnapshotCompiler.Compile(Inputs(p), mesh).Hash).ToArray();
        }

        if (!Alone().SequenceEqual(Shared())) throw new InvalidOperationException("the two ways compiled different snapshots");
        var alone = new List<double>();
        var shared = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            alone.Add(Time(() => Alone()));
            shared.Add(Time(() => Shared()));
        }
        var inv = CultureInfo.InvariantCulture;
        var (a, s) = (Median(alone), Median(shared));
        Console.WriteLine(string.Format(inv, "compile: proxies={0} rounds={1} per_proxy_ms={2:F1} shared_ms={3:F1} ratio={4:F2}", proxies, rounds, a, s, s / a));
    }

    private static double Time(Action round)
    {
        var stopwatch = Stopwatch.StartNew();
        round();
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
