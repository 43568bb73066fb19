using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.Store.Signals;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Saves this process's <see cref="MinuteRollups"/> every <see cref="ControlPlaneOptions.SignalHistoryFlushInterval"/>
/// and once more when it stops, so charts survive restarts. Every replica saves what its own proxies
/// reported (a leader alone would see only its share of the fleet) under a writer name of its own
/// for this process, rewriting its rows whole: a retry, a restart or a leader change cannot count a
/// request twice. The leader alone deletes the minutes past <see cref="ControlPlaneOptions.SignalHistoryRetention"/>.
/// </summary>
public sealed class SignalHistoryWriter : BackgroundService
{
    private readonly MinuteRollups rollups;
    private readonly SignalHistoryStore store;
    private readonly LeaderElection leader;
    private readonly TimeProvider time;
    private readonly ILogger<SignalHistoryWriter> logger;
    private readonly TimeSpan flushInterval;
    private readonly TimeSpan retention;

    public SignalHistoryWriter(MinuteRollups rollups, SignalHistoryStore store, LeaderElection leader, IOptions<ControlPlaneOptions> options,
        TimeProvider time, ILogger<SignalHistoryWriter> logger)
    {
        flushInterval = options.Value.SignalHistoryFlushInterval;
        retention = options.Value.SignalHistoryRetention;
        if (flushInterval <= TimeSpan.Zero || flushInterval > TimeSpan.FromMinutes(1))
            throw new InvalidOperationException(
                $"ControlPlane:SignalHistoryFlushInterval must be more than 0 and at most 1 minute (it is {flushInterval}).");
        if (retention < TimeSpan.FromHours(1))
            throw new InvalidOperationException(
                $"ControlPlane:SignalHistoryRetention must be at least 1 hour, so the portal's 1 h chart has data (it is {retention}).");
        (this.rollups, this.store, this.leader, this.time, this.logger) = (rollups, store, leader, time, logger);
        Writer = $"{leader.ReplicaId}/{Guid.NewGuid():N}";
    }

    /// <summary>This process's name in <c>signal_rollups.writer</c>: the replica plus a new id per start.</summary>
    public string Writer { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(flushInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await SaveAsync(stoppingToken);
            if (leader.IsLeader) await PruneAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await SaveAsync(cancellationToken);
    }

    private async Task SaveAsync(CancellationToken ct)
    {
        var (held, currentMinute) = rollups.Snapshot();
        try
        {
            await store.SaveAsync(Writer, held, ct);
            rollups.ForgetBefore(currentMinute);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Kept for the next attempt (rewriting is harmless), but never past retention.
            logger.LogWarning("Could not save {Count} signal rollup(s): {Message}", held.Count, ex.Message);
            rollups.ForgetBefore(currentMinute - retention);
        }
    }

    private async Task PruneAsync(CancellationToken ct)
    {
        try
        {
            var removed = await store.PruneAsync(time.GetUtcNow() - retention, ct);
            if (removed > 0) logger.LogDebug("Pruned {Count} signal rollup(s) older than {Retention}", removed, retention);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not prune signal rollups: {Message}", ex.Message);
        }
    }
}
