using Meshwork.Model.Policy;
using Meshwork.Protocol.Status;
using Meshwork.Store.Signals;

namespace Meshwork.Portal.Live;

/// <summary>A call between two services observed in the last hour: its requests then, and its rate now (0 when not live).</summary>
public sealed record ObservedCall(ServiceName From, ServiceName To, long Requests, double Rps);

/// <summary>
/// The calls observed in the last hour, for the access matrix (which of them a pending change would
/// deny, ALLOW rules drafted from them): the control plane's stored one-minute edge rollups of the
/// minutes that overlap the last hour, merged with the live status's edges, the calls of the current
/// minute the control plane has not saved yet. One per panel: the stored part is re-read at most once
/// a minute (<see cref="IsStale"/>), the live part is merged at every render.
/// </summary>
public sealed class ObservedCalls(SignalHistoryStore history, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);

    private IReadOnlyDictionary<(ServiceName From, ServiceName To), long> stored = new Dictionary<(ServiceName, ServiceName), long>();
    private DateTimeOffset? triedAt;

    /// <summary>True before the first read and a minute after the last one (new minutes have been saved since; a failed read is retried then too).</summary>
    public bool IsStale => triedAt is not { } at || time.GetUtcNow() - at >= RereadAfter;

    /// <summary>Reads the stored rollups of the last hour, every control plane writer's share added up, per caller and callee service.</summary>
    public async Task ReadStoredAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        triedAt = now;
        var rollups = await history.ReadAsync(SignalSeriesKind.Edge, SignalHistoryStore.TruncateToMinute(now - Window), now, ct);
        stored = rollups
            .Where(r => r.Requests > 0)
            .GroupBy(r => (new ServiceName(r.Series.SourceNamespace, r.Series.SourceService), new ServiceName(r.Series.DestinationNamespace, r.Series.DestinationService)))
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Requests));
    }

    /// <summary>
    /// The stored calls and the live ones together, one per caller and callee. A live window's calls
    /// may already be in the current minute's stored rollup (the control plane saves it every few
    /// seconds), so a pair counts the larger of the two, never their sum.
    /// </summary>
    public IReadOnlyList<ObservedCall> With(IReadOnlyList<EdgeSignals> liveEdges)
    {
        var live = liveEdges
            .Where(e => (e.Signals?.Requests ?? 0) > 0)
            .GroupBy(e => (From: new ServiceName(e.SourceNamespace, e.SourceService), To: new ServiceName(e.DestinationNamespace, e.DestinationService)))
            .ToDictionary(g => g.Key, g => (Requests: g.Sum(e => (long)e.Signals.Requests), Rps: g.Sum(e => e.Signals.Rps)));
        return stored.Keys.Union(live.Keys)
            .Select(pair =>
            {
                var before = stored.GetValueOrDefault(pair);
                var now = live.GetValueOrDefault(pair);
                return new ObservedCall(pair.From, pair.To, Math.Max(before, now.Requests), now.Rps);
            })
            .ToList();
    }
}
