using Meshwork.Protocol.Mesh;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// The TCP edge stats this process received, added up per minute (by the control plane's clock) and edge, as
/// <see cref="TcpStatsAggregator"/> counts them live: connections, bytes and connect failures from the calling side
/// (OUTBOUND), refusals from the called side (INBOUND, on the edge from the caller's service with no version, which that
/// side does not know). Only edges <see cref="Streams.TcpStatsValidator"/> accepted arrive here.
/// <see cref="SignalHistoryWriter"/> saves them beside the HTTP rollups.
/// </summary>
public sealed class TcpMinuteRollups(TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(DateTimeOffset Minute, TcpEdgeSeries Edge), TcpCounts> minutes = [];

    public void Record(IEnumerable<TcpEdgeStats> tcpEdges)
    {
        var minute = SignalHistoryStore.TruncateToMinute(time.GetUtcNow());
        lock (gate)
        {
            foreach (var edge in tcpEdges)
            {
                (TcpEdgeSeries? Series, TcpCounts Counts) entry = edge.Direction switch
                {
                    Direction.Outbound => (new TcpEdgeSeries(edge.SourceService, edge.SourceNamespace, edge.SourceVersion,
                        edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion), TcpCounts.Of(edge) with { Denied = 0 }),
                    Direction.Inbound when edge.Denied > 0 => (new TcpEdgeSeries(edge.SourceService, edge.SourceNamespace, "",
                        edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion), new TcpCounts { Denied = edge.Denied }),
                    _ => (null, default),
                };
                if (entry.Series is { } series) minutes[(minute, series)] = minutes.GetValueOrDefault((minute, series)) + entry.Counts;
            }
        }
    }

    /// <summary>
    /// Everything held, the current minute so far included, and the start of the current minute (see
    /// <see cref="MinuteRollups.Snapshot"/>): once this copy is saved <see cref="ForgetBefore"/> may drop the earlier minutes.
    /// </summary>
    public (IReadOnlyList<TcpRollup> Rollups, DateTimeOffset CurrentMinute) Snapshot()
    {
        lock (gate)
        {
            var current = SignalHistoryStore.TruncateToMinute(time.GetUtcNow());
            var rollups = minutes.Select(pair => new TcpRollup(pair.Key.Minute, pair.Key.Edge, Stored(pair.Value.Opened), Stored(pair.Value.Closed),
                Stored(pair.Value.ConnectFailures), Stored(pair.Value.Denied), Stored(pair.Value.ReceivedBytes), Stored(pair.Value.SentBytes),
                Stored(pair.Value.ClosedDurationMs))).ToList();
            return (rollups, current);
        }
    }

    /// <summary>Drops the minutes that started before <paramref name="minute"/> (saved and complete, or past retention).</summary>
    public void ForgetBefore(DateTimeOffset minute)
    {
        lock (gate)
        {
            foreach (var key in minutes.Keys.Where(key => key.Minute < minute).ToList())
                minutes.Remove(key);
        }
    }

    // Validated reports keep a minute's sums far below long.MaxValue; saturating keeps a column from wrapping negative all the same.
    private static long Stored(ulong count) => count > long.MaxValue ? long.MaxValue : (long)count;
}
