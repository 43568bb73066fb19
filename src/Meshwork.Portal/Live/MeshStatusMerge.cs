using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Live;

/// <summary>
/// The one view of the mesh made from every control plane replica's state. Each replica reports only
/// the proxies connected to it and the traffic they saw, so:
/// - fleet and signals come from the replicas whose stream is up (from all of them, stale, when none
///   is): a replica that went away hides its proxies until they fail over to another one, rather
///   than showing them as they were when it was lost;
/// - a proxy reported by several replicas (moving from one to another) shows once: the report that
///   says Connected wins, then the newest last seen; removed by one replica, it stays if another has it;
/// - edges and service versions reported by several replicas add up (<see cref="GoldenSignalsMerge"/>), TCP edges too;
/// - events are history: every replica's, newest first; the configuration version is the highest.
/// </summary>
internal static class MeshStatusMerge
{
    private static readonly StringComparer Ordinal = StringComparer.Ordinal;

    public static MeshStatusSnapshot Merge(IReadOnlyList<StatusFold> replicas)
    {
        var up = replicas.Where(r => r.Connected).ToList();
        var shown = up.Count > 0 ? up : replicas;
        var down = replicas.Where(r => !r.Connected && r.LastError is not null).ToList();
        return new MeshStatusSnapshot(
            Connection: replicas.Count == 0 ? LiveConnection.NotConfigured : up.Count > 0 ? LiveConnection.Connected : LiveConnection.Connecting,
            Address: replicas.Count == 0 ? null : string.Join(", ", replicas.Select(r => r.Address)),
            // With several replicas each error names its replica.
            LastError: down.Count == 0 ? null : string.Join("; ", down.Select(r => replicas.Count == 1 ? r.LastError : $"{r.Address}: {r.LastError}")),
            UpdatedAt: replicas.Max(r => r.UpdatedAt),
            ConfigVersion: replicas.Count == 0 ? 0 : replicas.Max(r => r.ConfigVersion),
            Proxies: Proxies(shown),
            Edges: Edges(shown),
            ServiceVersions: ServiceVersions(shown),
            Events: replicas.SelectMany(r => r.Events).OrderByDescending(e => e.AtUnixMs).Take(StatusFold.MaxEvents).ToList(),
            ControlPlanes: replicas.Select(r => new ControlPlaneStream(r.Address, r.Connected, r.LastError)).ToList())
        {
            TcpEdges = TcpEdges(shown),
        };
    }

    private static List<ProxyStatus> Proxies(IEnumerable<StatusFold> replicas) => replicas
        .SelectMany(r => r.Proxies)
        .GroupBy(p => p.ProxyId, Ordinal)
        .Select(reports => reports.OrderByDescending(p => p.Connected).ThenByDescending(p => p.LastSeenUnixMs).First())
        .OrderBy(p => p.Namespace, Ordinal).ThenBy(p => p.Service, Ordinal).ThenBy(p => p.ProxyId, Ordinal)
        .ToList();

    private static List<EdgeSignals> Edges(IEnumerable<StatusFold> replicas) => replicas
        .SelectMany(r => r.Edges)
        .GroupBy(e => (e.SourceService, e.SourceNamespace, e.SourceVersion, e.DestinationService, e.DestinationNamespace, e.DestinationVersion))
        .Select(reports => reports.Count() == 1 ? reports.First() : new EdgeSignals(reports.First()) { Signals = Signals(reports.Select(e => e.Signals)) })
        .ToList();

    /// <summary>Each replica counts its own proxies' connections: counts and rates add up (the mean duration weighted by closed connections).</summary>
    private static List<TcpEdgeSignals> TcpEdges(IEnumerable<StatusFold> replicas) => replicas
        .SelectMany(r => r.TcpEdges)
        .GroupBy(e => (e.SourceService, e.SourceNamespace, e.SourceVersion, e.DestinationService, e.DestinationNamespace, e.DestinationVersion))
        .Select(reports => reports.Skip(1).Aggregate(reports.First(), (sum, e) => new TcpEdgeSignals(sum)
        {
            ConnectionsPerSecond = sum.ConnectionsPerSecond + e.ConnectionsPerSecond,
            ReceivedBytesPerSecond = sum.ReceivedBytesPerSecond + e.ReceivedBytesPerSecond,
            SentBytesPerSecond = sum.SentBytesPerSecond + e.SentBytesPerSecond,
            Opened = sum.Opened + e.Opened,
            Closed = sum.Closed + e.Closed,
            ConnectFailures = sum.ConnectFailures + e.ConnectFailures,
            Denied = sum.Denied + e.Denied,
            MeanDurationMs = sum.Closed + e.Closed == 0 ? 0 : (sum.MeanDurationMs * sum.Closed + e.MeanDurationMs * e.Closed) / (sum.Closed + e.Closed),
            Active = sum.Active + e.Active,
            OpenedTotal = sum.OpenedTotal + e.OpenedTotal,
            ReceivedBytesTotal = sum.ReceivedBytesTotal + e.ReceivedBytesTotal,
            SentBytesTotal = sum.SentBytesTotal + e.SentBytesTotal,
        }))
        .ToList();

    private static List<ServiceVersionSignals> ServiceVersions(IEnumerable<StatusFold> replicas) => replicas
        .SelectMany(r => r.ServiceVersions)
        .GroupBy(s => (s.Service, s.Namespace, s.Version))
        .Select(reports => reports.Count() == 1 ? reports.First() : new ServiceVersionSignals(reports.First())
        {
            Signals = Signals(reports.Select(s => s.Signals)),
            // Instance counts come from the registry every replica shares: the same fleet, not parts to add.
            Instances = reports.Max(s => s.Instances),
            HealthyInstances = reports.Max(s => s.HealthyInstances),
        })
        .ToList();

    private static GoldenSignals Signals(IEnumerable<GoldenSignals?> reports) => GoldenSignalsMerge.Merge(reports.OfType<GoldenSignals>().ToList());
}
