using Meshwork.Store.Signals;

namespace Meshwork.Portal.ViewModels;

/// <summary>One TCP edge over the last hour, from the stored minutes: connections opened, closed and refused, bytes each way.</summary>
public sealed record TcpEdgeHour(TcpEdgeSeries Edge, long Opened, long Closed, long Refused, long ReceivedBytes, long SentBytes, DateTimeOffset LastMinute);

/// <summary>
/// The TCP edges of one topology node over the last hour, from the control plane's one-minute rollups in PostgreSQL
/// (<c>tcp_rollups</c>), so the side panel still shows them after the portal or the control plane restarted, or after
/// the live edge went away. Every minute and writer of an edge is added up. Refusals the called side reported carry no
/// caller version: they show on the caller's service node and on the called version, as an edge from the service.
/// </summary>
public static class TcpEdgeHistory
{
    public static readonly TimeSpan Span = TimeSpan.FromHours(1);

    /// <summary>
    /// The edges from (<paramref name="callers"/> false) or to (true) the node <paramref name="namespace"/>/<paramref name="service"/>
    /// (one version of it, or every version when <paramref name="version"/> is null), busiest first.
    /// </summary>
    public static IReadOnlyList<TcpEdgeHour> Of(IReadOnlyList<TcpRollup> rollups, string @namespace, string service, string? version, bool callers) =>
        rollups.Where(r => callers
                ? IsNode(r.Edge.DestinationNamespace, r.Edge.DestinationService, r.Edge.DestinationVersion, @namespace, service, version)
                : IsNode(r.Edge.SourceNamespace, r.Edge.SourceService, r.Edge.SourceVersion, @namespace, service, version))
            .GroupBy(r => r.Edge)
            .Select(edge => new TcpEdgeHour(edge.Key, edge.Sum(r => r.Opened), edge.Sum(r => r.Closed), edge.Sum(r => r.ConnectFailures + r.Denied),
                edge.Sum(r => r.ReceivedBytes), edge.Sum(r => r.SentBytes), edge.Max(r => r.Minute)))
            .OrderByDescending(e => e.ReceivedBytes + e.SentBytes).ThenByDescending(e => e.Opened + e.Refused)
            .ToList();

    /// <summary>Every stored minute of the last hour (the current one included) of the TCP edges from or to the service.</summary>
    public static Task<IReadOnlyList<TcpRollup>> LoadAsync(TcpHistoryStore store, string @namespace, string service, DateTimeOffset now,
        CancellationToken ct = default)
    {
        var end = SignalHistoryStore.TruncateToMinute(now).AddMinutes(1);
        return store.ReadAsync(@namespace, service, end - Span, end, ct);
    }

    private static bool IsNode(string ns, string svc, string ver, string @namespace, string service, string? version) =>
        ns == @namespace && svc == service && (version is null || ver == version);
}
