using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.Store.Signals;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Saves this process's running counts per service version (<see cref="StatsAggregator.AllTotals"/>) every
/// <see cref="ControlPlaneOptions.VersionTotalsFlushInterval"/> under a writer name of its own, so the leader's
/// rollout analysis sees the proxies of every replica, not only its own. The leader deletes the rows of
/// writers that stopped (a process that has not written for an hour). Only rows that moved are rewritten; every row is
/// rewritten every quarter of that hour so an idle but living writer is never taken for a stopped one.
/// </summary>
public sealed class VersionTotalsWriter : BackgroundService
{
    private static readonly TimeSpan StoppedWriterAge = TimeSpan.FromHours(1);

    private readonly StatsAggregator stats;
    private readonly VersionTotalsStore store;
    private readonly LeaderElection leader;
    private readonly TimeProvider time;
    private readonly ILogger<VersionTotalsWriter> logger;
    private readonly TimeSpan flushInterval;
    private readonly string writer;
    private readonly ChangedVersionCounts changes = new(StoppedWriterAge / 4);

    public VersionTotalsWriter(StatsAggregator stats, VersionTotalsStore store, LeaderElection leader, IOptions<ControlPlaneOptions> options,
        TimeProvider time, ILogger<VersionTotalsWriter> logger)
    {
        flushInterval = options.Value.VersionTotalsFlushInterval;
        if (flushInterval <= TimeSpan.Zero || flushInterval > TimeSpan.FromSeconds(10))
            throw new InvalidOperationException(
                $"ControlPlane:VersionTotalsFlushInterval must be more than 0 and at most 10 seconds (it is {flushInterval}).");
        (this.stats, this.store, this.leader, this.time, this.logger) = (stats, store, leader, time, logger);
        writer = $"{leader.ReplicaId}/{Guid.NewGuid():N}";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(flushInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var now = time.GetUtcNow();
                var toSave = changes.ToSave(stats.AllTotals(), now);
                await store.SaveAsync(writer, toSave.Rows, stoppingToken);
                changes.Saved(toSave, now);
                if (leader.IsLeader) await store.PruneAsync(time.GetUtcNow() - StoppedWriterAge, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The counts only grow: the next save carries everything this one would have.
                logger.LogWarning("Could not save the per-version counts: {Message}", ex.Message);
            }
        }
    }
}
