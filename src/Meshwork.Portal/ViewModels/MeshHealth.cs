using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>One service's live signals over all its versions, and its health by the mesh's thresholds.</summary>
public sealed record ServiceHealth(string Namespace, string Service, TrafficHealth Health, GoldenSignals Signals);

/// <summary>One edge that is failing some of its requests, as the Overview lists it.</summary>
public sealed record FailingEdge(EdgeSignals Edge, TrafficHealth Health, double ErrorPercent);

/// <summary>How many connected proxies ACKed the last snapshot sent to them, and which did not.</summary>
public sealed record FleetSync(int Connected, int InSync, IReadOnlyList<ProxyStatus> Behind)
{
    public bool AllInSync => Connected > 0 && InSync == Connected;
}

/// <summary>The Overview's "at a glance" figures from the live status, judged with the thresholds of the Settings page.</summary>
public static class MeshHealth
{
    public static IReadOnlyList<ServiceHealth> Services(IReadOnlyList<ServiceVersionSignals> versions, HealthThresholds thresholds) =>
        versions.GroupBy(v => (v.Namespace, v.Service))
            .Select(service =>
            {
                var signals = GoldenSignalsMerge.Merge(service.Select(v => v.Signals ?? new GoldenSignals()).ToList());
                return new ServiceHealth(service.Key.Namespace, service.Key.Service, TopologyGraphModel.HealthOf(signals, thresholds), signals);
            })
            .OrderByDescending(s => s.Health).ThenBy(s => s.Namespace).ThenBy(s => s.Service)
            .ToList();

    /// <summary>The edges failing any requests, worst share first, at most <paramref name="top"/>.</summary>
    public static IReadOnlyList<FailingEdge> TopFailingEdges(IReadOnlyList<EdgeSignals> edges, HealthThresholds thresholds, int top = 5) =>
        edges.Where(e => e.Signals is { Requests: > 0, Failures: > 0 })
            .Select(e => new FailingEdge(e, TopologyGraphModel.HealthOf(e.Signals, thresholds), 100.0 * e.Signals.Failures / e.Signals.Requests))
            .OrderByDescending(e => e.ErrorPercent).ThenByDescending(e => e.Edge.Signals.Failures)
            .Take(top)
            .ToList();

    /// <summary>A connected proxy is in sync when it ACKed the latest snapshot sent to it.</summary>
    public static FleetSync Fleet(IReadOnlyList<ProxyStatus> proxies)
    {
        var connected = proxies.Where(p => p.Connected).ToList();
        var behind = connected.Where(p => p.SentVersion == 0 || p.AckedVersion != p.SentVersion).OrderBy(p => p.ProxyId).ToList();
        return new FleetSync(connected.Count, connected.Count - behind.Count, behind);
    }
}
