using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// One client's topology stream. Its memory is bounded whatever the client does: the elements last sent
/// (to diff against) and a wake-up channel of one slot where the latest change wins. The next message is
/// made only once the previous one was written (SignalR awaits the transport, which stops taking bytes
/// when a client stops reading), and it is the difference between what the client has and the state
/// now, so a slow client skips intermediate states instead of queueing them. Health colours follow the
/// thresholds in MeshSettings, read again when the store changes; live rollouts mark their canary (<see cref="TopologyRollouts"/>).
/// </summary>
public static class TopologyFeed
{
    /// <summary>At most one delta a second per client.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public static async IAsyncEnumerable<TopologyUpdate> StreamAsync(MeshLiveData live, TopologyThresholds settings, TopologyRollouts rollouts, TopologyFilter filter,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var storeChanged = 0;
        using var subscription = live.Subscribe(change =>
        {
            // Kept apart from the wake-up slot, which a later status change may overwrite: the thresholds must be read again.
            if (change.HasFlag(LiveChange.Resources))
                Interlocked.Exchange(ref storeChanged, 1);
            wake.Writer.TryWrite(true);
            return Task.CompletedTask;
        }, MinInterval);

        var sent = new Dictionary<string, GraphElement>(StringComparer.Ordinal);
        long sequence = 0;
        var thresholds = await settings.CurrentAsync(ct);
        var snapshot = live.Current;
        var elements = Build(snapshot, filter, thresholds, await rollouts.CurrentAsync(ct));
        foreach (var element in elements)
            sent[element.Data.Id] = element;
        yield return new TopologyUpdate(true, ++sequence, snapshot.Connection.ToString(), UpdatedAt(snapshot), elements, []);

        while (await wake.Reader.WaitToReadAsync(ct))
        {
            wake.Reader.TryRead(out _);
            if (Interlocked.Exchange(ref storeChanged, 0) == 1)
                thresholds = await settings.CurrentAsync(ct);
            snapshot = live.Current;
            // Rollout states change without a store notification (the controller writes them): read at every message.
            var now = Build(snapshot, filter, thresholds, await rollouts.CurrentAsync(ct));
            var upserted = now.Where(e => !sent.TryGetValue(e.Data.Id, out var before) || before != e).ToList();
            var present = now.Select(e => e.Data.Id).ToHashSet(StringComparer.Ordinal);
            var removed = sent.Keys.Where(id => !present.Contains(id)).ToList();
            foreach (var id in removed)
                sent.Remove(id);
            foreach (var element in upserted)
                sent[element.Data.Id] = element;
            // Sent even when the graph is unchanged: the client learns the control plane is still reporting (not stale).
            yield return new TopologyUpdate(false, ++sequence, snapshot.Connection.ToString(), UpdatedAt(snapshot), upserted, removed);
        }
    }

    private static IReadOnlyList<GraphElement> Build(MeshStatusSnapshot snapshot, TopologyFilter filter, HealthThresholds thresholds,
        IReadOnlyList<TopologyCanary> canaries) =>
        TopologyGraphModel.Build(snapshot.Edges, snapshot.ServiceVersions, filter, thresholds, canaries);

    private static long? UpdatedAt(MeshStatusSnapshot snapshot) => snapshot.UpdatedAt?.ToUnixTimeMilliseconds();
}
