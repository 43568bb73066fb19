using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// One client's topology stream: a snapshot, then at most once a second the difference between what the client has
/// and the graph now (<see cref="TopologyDelta"/>). Its memory is bounded and small whatever the client does: a
/// reference to the view it last sent (shared with every stream of the same filter: the latest or the one before it,
/// <see cref="TopologyViews"/>) and a
/// wake-up channel of one slot where the latest change wins. The next message is made only once the previous one was
/// written (SignalR awaits the transport, which stops taking bytes when a client stops reading), so a slow client skips
/// intermediate states instead of queueing them, and still ends in the latest state: each delta is taken from exactly
/// what it was sent.
/// </summary>
public static class TopologyFeed
{
    /// <summary>At most one delta a second per client.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public static async IAsyncEnumerable<TopologyUpdate> StreamAsync(MeshLiveData live, TopologyViews views, TopologyFilter filter,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        // Store changes wake the stream too: thresholds or rollouts may have changed (their caches read them again).
        using var subscription = live.Subscribe(_ =>
        {
            wake.Writer.TryWrite(true);
            return Task.CompletedTask;
        }, MinInterval);

        // A view behind the live state (views are made at most once a second, for all streams): wake again when a newer one can be made.
        void RefreshLater(TopologyViews.Current current)
        {
            if (current.RefreshIn is { } due)
                _ = Task.Delay(due, ct).ContinueWith(_ => wake.Writer.TryWrite(true), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }

        long sequence = 0;
        var sent = (await views.CurrentAsync(live.Current, filter, recentWillDo: false, ct)).View;
        yield return TopologyUpdate.Snapshot(++sequence, sent);
        var sentAt = Stopwatch.GetTimestamp();

        while (await wake.Reader.WaitToReadAsync(ct))
        {
            // A refresh wake-up comes outside the live data's pace: the stream keeps to one message a second itself.
            if (MinInterval - Stopwatch.GetElapsedTime(sentAt) is { Ticks: > 0 } early)
                await Task.Delay(early, ct);
            wake.Reader.TryRead(out _);
            var current = await views.CurrentAsync(live.Current, filter, recentWillDo: true, ct);
            RefreshLater(current);
            var now = current.View;
            var delta = now.DeltaFrom(sent);
            sent = now;
            // Sent even when the graph is unchanged: the client learns the control plane is still reporting (not stale).
            yield return TopologyUpdate.Delta(++sequence, now, delta);
            sentAt = Stopwatch.GetTimestamp();
        }
    }
}
