using Meshwork.Protocol.Mesh;

namespace TopologyBench;

/// <summary>
/// The traffic of a synthetic mesh: service i calls <c>edges / services</c> others, each edge's requests,
/// failures and latency drawn anew every report (so every edge's label changes every second, and some
/// edges' health too). Reported as a real proxy of service i would: its outbound edges and its inbound
/// service version. Only the first <see cref="Callers"/> services call others (all by default): lowering it
/// while the fleet runs lets the other services' edges go idle, so the mesh can shrink as well as grow.
/// </summary>
internal sealed class SyntheticMesh(int services, int edges)
{
    /// <summary>A stride that keeps the callees of one service distinct and never itself for the sizes used.</summary>
    private const int Stride = 37;

    public int Services => services;
    public int EdgesPerService { get; } = Math.Max(1, edges / services);

    /// <summary>How many services (from svc-0) report calls to others; read by every report, changed by a test as it runs.</summary>
    public int Callers
    {
        get => Math.Min(Volatile.Read(ref callers), services);
        set => Volatile.Write(ref callers, Math.Max(0, value));
    }

    private int callers = int.MaxValue;

    public static string Name(int service) => $"svc-{service}";

    /// <summary>The services <paramref name="service"/> calls (when it is one of the <see cref="Callers"/>).</summary>
    public IEnumerable<int> Callees(int service) => Enumerable.Range(0, EdgesPerService).Select(k => (service + 1 + k * Stride) % services);

    public Stats Report(int service)
    {
        var random = Random.Shared;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var stats = new Stats { WindowStartUnixMs = now - 1000, WindowEndUnixMs = now };
        foreach (var callee in service < Callers ? Callees(service) : [])
        {
            var requests = (ulong)random.Next(20, 200);
            stats.Edges.Add(Edge(Direction.Outbound, Name(service), "v1", Name(callee), requests, Failures(random, requests)));
        }
        var inbound = (ulong)random.Next(20, 200) * (ulong)EdgesPerService;
        stats.Edges.Add(Edge(Direction.Inbound, "", "", Name(service), inbound, Failures(random, inbound)));
        return stats;
    }

    /// <summary>Mostly none; one edge in ten fails a few percent, one in fifty heavily: colours change as well as numbers.</summary>
    private static ulong Failures(Random random, ulong requests) => random.Next(50) switch
    {
        0 => requests / 4,
        < 5 => requests / 30,
        _ => 0,
    };

    private static EdgeStats Edge(Direction direction, string source, string sourceVersion, string destination, ulong requests, ulong failures)
    {
        var latency = new LatencyHistogram();
        latency.Buckets.Add((uint)Random.Shared.Next(30, 45));
        latency.Counts.Add(requests);
        return new EdgeStats
        {
            Direction = direction,
            SourceService = source, SourceNamespace = source.Length == 0 ? "" : "default", SourceVersion = sourceVersion,
            DestinationService = destination, DestinationNamespace = "default", DestinationVersion = "v1",
            Requests = requests, Failures = failures, Latency = latency,
        };
    }
}
