using Meshwork.Model.Policy;
using Meshwork.Protocol.Status;
using Meshwork.Store.Signals;

namespace Meshwork.Portal.Live;

/// <summary>How an observed call went: an HTTP request, or a TCP connection a TcpRoute relayed.</summary>
public enum CallProtocol { Http, Tcp }

/// <summary>
/// Calls between two services observed in the last hour over one protocol: <see cref="Count"/> is HTTP requests, or
/// TCP connections the called side admitted; <see cref="Rate"/> is requests or connections opened per second now (0 when
/// not live). A TCP call with no connection opened in the hour is one whose connection, opened earlier, still moved bytes.
/// </summary>
public sealed record ObservedCall(ServiceName From, ServiceName To, CallProtocol Protocol, long Count, double Rate)
{
    /// <summary>For example "HTTP, 80 requests" or "TCP, 3 connections".</summary>
    public string Describe() => Protocol == CallProtocol.Http
        ? $"HTTP, {Count} request{(Count == 1 ? "" : "s")}"
        : Count == 0 ? "TCP, a connection opened earlier" : $"TCP, {Count} connection{(Count == 1 ? "" : "s")}";
}

/// <summary>
/// The calls observed in the last hour, for the access matrix (which of them a pending change would
/// deny, ALLOW rules drafted from them): the control plane's stored one-minute rollups of the minutes
/// that overlap the last hour, HTTP edges (<c>signal_rollups</c>) and TCP edges (<c>tcp_rollups</c>),
/// merged with the live status's edges, the calls of the current minute the control plane has not saved
/// yet. One per panel: the stored part is re-read at most once a minute (<see cref="IsStale"/>), the live
/// part is merged at every render.
/// A TCP connection the called side's policy denied is not a call that runs: the calling relay counts it
/// as opened (it connected to the callee's sidecar, which then refused it) and the called side counts it
/// as denied, so a pair's admitted connections are the opened less the denied, and a pair whose every
/// connection was denied is left out (drafting ALLOW rules from it would admit what policy refuses today).
/// </summary>
public sealed class ObservedCalls(SignalHistoryStore history, TcpHistoryStore tcpHistory, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);

    private IReadOnlyDictionary<(ServiceName From, ServiceName To), long> stored = new Dictionary<(ServiceName, ServiceName), long>();
    private IReadOnlyDictionary<(ServiceName From, ServiceName To), long> storedTcp = new Dictionary<(ServiceName, ServiceName), long>();
    private DateTimeOffset? triedAt;

    /// <summary>True before the first read and a minute after the last one (new minutes have been saved since; a failed read is retried then too).</summary>
    public bool IsStale => triedAt is not { } at || time.GetUtcNow() - at >= RereadAfter;

    /// <summary>Reads the stored rollups of the last hour, every control plane writer's share added up, per caller and callee service.</summary>
    public async Task ReadStoredAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        triedAt = now;
        var from = SignalHistoryStore.TruncateToMinute(now - Window);
        var rollups = await history.ReadAsync(SignalSeriesKind.Edge, from, now, ct);
        var tcpRollups = await tcpHistory.ReadAsync(null, null, from, now, ct);
        stored = rollups
            .Where(r => r.Requests > 0)
            .GroupBy(r => (new ServiceName(r.Series.SourceNamespace, r.Series.SourceService), new ServiceName(r.Series.DestinationNamespace, r.Series.DestinationService)))
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Requests));
        // The refusals ride on their own rows (no caller version), so the pair's sums hold each opened and denied connection once.
        // Bytes sent back to the caller come only from the called app, so they show an admitted connection even when none opened this hour.
        storedTcp = tcpRollups
            .GroupBy(r => (new ServiceName(r.Edge.SourceNamespace, r.Edge.SourceService), new ServiceName(r.Edge.DestinationNamespace, r.Edge.DestinationService)))
            .Select(g => (Pair: g.Key, Admitted: Math.Max(0, g.Sum(r => r.Opened) - g.Sum(r => r.Denied)), Answered: g.Sum(r => r.SentBytes) > 0))
            .Where(p => p.Admitted > 0 || p.Answered)
            .ToDictionary(p => p.Pair, p => p.Admitted);
    }

    /// <summary>
    /// The stored calls and the live ones together, one per caller, callee and protocol. A live window's
    /// calls may already be in the current minute's stored rollup (the control plane saves it every few
    /// seconds), so a pair counts the larger of the two, never their sum.
    /// </summary>
    public IReadOnlyList<ObservedCall> With(IReadOnlyList<EdgeSignals> liveEdges, IReadOnlyList<TcpEdgeSignals> liveTcpEdges)
    {
        var live = liveEdges
            .Where(e => (e.Signals?.Requests ?? 0) > 0)
            .GroupBy(e => (From: new ServiceName(e.SourceNamespace, e.SourceService), To: new ServiceName(e.DestinationNamespace, e.DestinationService)))
            .ToDictionary(g => g.Key, g => (Count: g.Sum(e => (long)e.Signals.Requests), Rate: g.Sum(e => e.Signals.Rps)));
        return Merge(CallProtocol.Http, stored, live).Concat(Merge(CallProtocol.Tcp, storedTcp, LiveTcp(liveTcpEdges))).ToList();
    }

    /// <summary>
    /// The live TCP edges per service pair, admitted connections only. The called side's denials of a caller service are
    /// shown on every edge from that service's versions to the called version (and alone, with no caller version, before
    /// any of them reported), so they count once per called version. An edge with connections open and none denied runs.
    /// </summary>
    private static Dictionary<(ServiceName From, ServiceName To), (long Count, double Rate)> LiveTcp(IReadOnlyList<TcpEdgeSignals> edges) =>
        edges
            .GroupBy(e => (From: new ServiceName(e.SourceNamespace, e.SourceService), To: new ServiceName(e.DestinationNamespace, e.DestinationService)))
            .Select(g => (Pair: g.Key,
                Admitted: Math.Max(0, g.Sum(e => (long)e.Opened) - g.GroupBy(e => e.DestinationVersion).Sum(v => v.Max(e => (long)e.Denied))),
                Runs: g.Any(e => e.SentBytesPerSecond > 0 || (e.Active > 0 && e.Denied == 0)),
                Rate: g.Sum(e => e.ConnectionsPerSecond)))
            .Where(p => p.Admitted > 0 || p.Runs)
            .ToDictionary(p => p.Pair, p => (p.Admitted, p.Rate));

    private static IEnumerable<ObservedCall> Merge(CallProtocol protocol, IReadOnlyDictionary<(ServiceName From, ServiceName To), long> before,
        Dictionary<(ServiceName From, ServiceName To), (long Count, double Rate)> now) =>
        before.Keys.Union(now.Keys).Select(pair =>
        {
            var live = now.GetValueOrDefault(pair);
            return new ObservedCall(pair.From, pair.To, protocol, Math.Max(before.GetValueOrDefault(pair), live.Count), live.Rate);
        });
}
