using Meshwork.Model.Snapshots;
using Meshwork.Model.Validation;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// Checks a proxy's TCP edge stats before any of it is counted: names become keys of the TCP edges in the status
/// stream and the portal's graph, counts are added up, so a malformed or implausible entry is refused (the rest of the
/// report counts). A proxy reports only its own side: the source of its outbound edges and the destination of its
/// inbound ones is its own service. Returns the first problem, naming the field.
/// </summary>
public static class TcpStatsValidator
{
    /// <summary>More TCP edges than this in one report is not a sidecar's traffic: the report's TCP part is refused.</summary>
    public const int MaxEdgesPerReport = 1024;

    /// <summary>
    /// The most of any count in one report (about a second): far above what one sidecar relays (a million connections,
    /// 2^40 bytes, a terabyte), low enough that sums over a fleet cannot overflow.
    /// </summary>
    public const ulong MaxConnections = 1_000_000;
    public const ulong MaxBytes = 1UL << 40;

    public static string? Problem(TcpEdgeStats edge, string proxyService, string proxyNamespace)
    {
        if (edge.Direction is not (Direction.Outbound or Direction.Inbound)) return $"direction {edge.Direction} is neither OUTBOUND nor INBOUND";
        foreach (var (field, value) in new[]
                 {
                     ("source_service", edge.SourceService), ("source_namespace", edge.SourceNamespace), ("source_version", edge.SourceVersion),
                     ("destination_service", edge.DestinationService), ("destination_namespace", edge.DestinationNamespace),
                     ("destination_version", edge.DestinationVersion),
                 })
        {
            if (value.Length > 0 && !IdentityNames.IsDnsLabel(value)) return $"{field} '{Shorten(value)}' is not a valid name: {IdentityNames.DnsLabelRule}";
        }
        var (ownService, ownNamespace, side) = edge.Direction == Direction.Outbound
            ? (edge.SourceService, edge.SourceNamespace, "source")
            : (edge.DestinationService, edge.DestinationNamespace, "destination");
        if (ownService != proxyService || ownNamespace != proxyNamespace)
            return $"{side}_service '{ownNamespace}/{ownService}' is not this proxy's service {proxyNamespace}/{proxyService}";
        if (edge.Direction == Direction.Outbound && !IsRouteName(edge.Route)) return $"route '{Shorten(edge.Route)}' is not a TcpRoute rule name (namespace/route/rule)";
        if (edge.Direction == Direction.Inbound && edge.Route.Length > 0) return $"route '{Shorten(edge.Route)}' is set on an INBOUND edge (must be empty)";
        foreach (var (field, value) in new[]
                 {
                     ("opened", edge.Opened), ("closed", edge.Closed), ("active", edge.Active), ("connect_failures", edge.ConnectFailures), ("denied", edge.Denied),
                 })
        {
            if (value > MaxConnections) return $"{field} {value} is more than {MaxConnections} in one report";
        }
        if (edge.ReceivedBytes > MaxBytes) return $"received_bytes {edge.ReceivedBytes} is more than {MaxBytes} in one report";
        if (edge.SentBytes > MaxBytes) return $"sent_bytes {edge.SentBytes} is more than {MaxBytes} in one report";
        // A day per closed connection is the most a report's connections can add up to (the default idle timeout is an hour).
        if (edge.ClosedDurationMs > edge.Closed * (ulong)TimeSpan.FromDays(1).TotalMilliseconds)
            return $"closed_duration_ms {edge.ClosedDurationMs} is more than a day for each of the {edge.Closed} closed connection(s)";
        return null;
    }

    private static bool IsRouteName(string route) =>
        RouteRuleName.TryParse(route, out var ns, out var name, out var rule)
        && IdentityNames.IsDnsLabel(ns) && IdentityNames.IsDnsLabel(name) && IdentityNames.IsDnsLabel(rule);

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "...";
}
