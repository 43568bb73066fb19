using Meshwork.Store.Signals;

namespace Meshwork.Portal.ViewModels;

/// <summary>One TCP edge over the last hour, from the stored minutes: connections opened, closed and refused, bytes each way.</summary>
public sealed record TcpEdgeHour(TcpEdgeSeries Edge, long Opened, long Closed, long Refused, long ReceivedBytes, long SentBytes, DateTimeOffset LastMinute);

/// <summary>One minute of TCP edges added up: connections opened and refused (failed to connect or denied), bytes from and to the callers.</summary>
public sealed record TcpMinutePoint(DateTimeOffset Start, long Opened, long Refused, long ReceivedBytes, long SentBytes);

/// <summary>
/// The TCP edges of one topology node over the last hour, from the control plane's one-minute rollups in PostgreSQL
/// (<c>tcp_rollups</c>), so the side panel still shows them after the portal or the control plane restarted, or after
/// the live edge went away. Every minute and writer of an edge is added up. Refusals the called side reported carry no
/// caller version: they show on the caller's service node and on the called version, as an edge from the service.
/// </summary>
public static class TcpEdgeHistory
{
    /// <summary>
    /// The edges from (<paramref name="callers"/> false) or to (true) the node <paramref name="namespace"/>/<paramref name="service"/>
    /// (one version of it, or every version when <paramref name="version"/> is null), busiest first.
    /// </summary>
    public static IReadOnlyList<TcpEdgeHour> Of(IReadOnlyList<TcpRollup> rollups, string @namespace, string service, string? version, bool callers) =>
        rollups.Where(r => Joins(r.Edge, @namespace, service, version, callers))
            .GroupBy(r => r.Edge)
            .Select(edge => new TcpEdgeHour(edge.Key, edge.Sum(r => r.Opened), edge.Sum(r => r.Closed), edge.Sum(r => r.ConnectFailures + r.Denied),
                edge.Sum(r => r.ReceivedBytes), edge.Sum(r => r.SentBytes), edge.Max(r => r.Minute)))
            .OrderByDescending(e => e.ReceivedBytes + e.SentBytes).ThenByDescending(e => e.Opened + e.Refused)
            .ToList();

    /// <summary>Whether <paramref name="edge"/> comes to the node (<paramref name="callers"/> true) or leaves it (false).</summary>
    public static bool Joins(TcpEdgeSeries edge, string @namespace, string service, string? version, bool callers) => callers
        ? IsNode(edge.DestinationNamespace, edge.DestinationService, edge.DestinationVersion, @namespace, service, version)
        : IsNode(edge.SourceNamespace, edge.SourceService, edge.SourceVersion, @namespace, service, version);

    /// <summary>
    /// The chosen edges added up per minute of the last hour (the steps of the golden-signal charts' one-hour window: the
    /// current minute, so far, last); minutes without traffic are zero.
    /// </summary>
    public static IReadOnlyList<TcpMinutePoint> PerMinute(IReadOnlyList<TcpRollup> rollups, Func<TcpEdgeSeries, bool> chosen, DateTimeOffset now)
    {
        var (from, _, step, count) = GoldenSignalHistory.Steps(HistoryWindow.OneHour, now);
        var byStep = rollups.Where(r => chosen(r.Edge)).ToLookup(r => (int)((r.Minute - from).Ticks / step.Ticks));
        return Enumerable.Range(0, count)
            .Select(i => new TcpMinutePoint(from + step * i, byStep[i].Sum(r => r.Opened), byStep[i].Sum(r => r.ConnectFailures + r.Denied),
                byStep[i].Sum(r => r.ReceivedBytes), byStep[i].Sum(r => r.SentBytes)))
            .ToList();
    }

    /// <summary>Every stored minute of the last hour (the current one included) of the TCP edges from or to the service.</summary>
    public static Task<IReadOnlyList<TcpRollup>> LoadAsync(TcpHistoryStore store, string @namespace, string service, DateTimeOffset now,
        CancellationToken ct = default)
    {
        var (from, end, _, _) = GoldenSignalHistory.Steps(HistoryWindow.OneHour, now);
        return store.ReadAsync(@namespace, service, from, end, ct);
    }

    private static bool IsNode(string ns, string svc, string ver, string @namespace, string service, string? version) =>
        ns == @namespace && svc == service && (version is null || ver == version);
}
