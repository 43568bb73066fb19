using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.Store.Signals;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Saves this process's <see cref="MinuteRollups"/> and <see cref="TcpMinuteRollups"/> every <see cref="ControlPlaneOptions.SignalHistoryFlushInterval"/>
/// and once more when it stops, so charts survive restarts. Every replica saves what its own proxies
/// reported (a leader alone would see only its share of the fleet) under a writer name of its own
/// for this process, rewriting its rows whole: a retry, a restart or a leader change cannot count a
/// request (or a TCP connection) twice. The leader alone deletes the minutes past <see cref="ControlPlaneOptions.SignalHistoryRetention"/>,
/// HTTP and TCP alike.
/// </summary>
public sealed class SignalHistoryWriter : BackgroundService
{
    private readonly MinuteRollups rollups;
    private readonly TcpMinuteRollups tcpRollups;
    private readonly SignalHistoryStore store;
    private readonly TcpHistoryStore tcpStore;
    private readonly LeaderElection leader;
    private readonly TimeProvider time;
    private readonly ILogger<SignalHistoryWriter> logger;
    private readonly TimeSpan flushInterval;
    private readonly TimeSpan retention;

    public SignalHistoryWriter(MinuteRollups rollups, TcpMinuteRollups tcpRollups, SignalHistoryStore store, TcpHistoryStore tcpStore,
        LeaderElection leader, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<SignalHistoryWriter> logger)
    {
        flushInterval = options.Value.SignalHistoryFlushInterval;
        retention = options.Value.SignalHistoryRetention;
        if (flushInterval <= TimeSpan.Zero || flushInterval > TimeSpan.FromMinutes(1))
            throw new InvalidOperationException(
                $"ControlPlane:SignalHistoryFlushInterval must be more than 0 and at most 1 minute (it is {flushInterval}).");
        if (retention < TimeSpan.FromHours(1))
            throw new InvalidOperationException(
                $"ControlPlane:SignalHistoryRetention must be at least 1 hour, so the portal's 1 h chart has data (it is {retention}).");
        (this.rollups, this.tcpRollups, this.store, this.tcpStore, this.leader, this.time, this.logger) =
            (rollups, tcpRollups, store, tcpStore, leader, time, logger);
        Writer = $"{leader.ReplicaId}/{Guid.NewGuid():N}";
    }

    /// <summary>This process's name in <c>signal_rollups.writer</c> and <c>tcp_rollups.writer</c>: the replica plus a new id per start.</summary>
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
        if (await TryAsync(() => store.SaveAsync(Writer, held, ct), $"save {held.Count} signal rollup(s)", ct))
            rollups.ForgetBefore(currentMinute);
        else
            rollups.ForgetBefore(currentMinute - retention); // Kept for the next attempt (rewriting is harmless), but never past retention.

        var (tcpHeld, tcpCurrentMinute) = tcpRollups.Snapshot();
        if (await TryAsync(() => tcpStore.SaveAsync(Writer, tcpHeld, ct), $"save {tcpHeld.Count} TCP rollup(s)", ct))
            tcpRollups.ForgetBefore(tcpCurrentMinute);
        else
            tcpRollups.ForgetBefore(tcpCurrentMinute - retention);
    }

    private async Task PruneAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow() - retention;
        var removed = 0;
        if (await TryAsync(async () => removed = await store.PruneAsync(cutoff, ct), "prune signal rollups", ct)
            && removed > 0) logger.LogDebug("Pruned {Count} signal rollup(s) older than {Retention}", removed, retention);
        if (await TryAsync(async () => removed = await tcpStore.PruneAsync(cutoff, ct), "prune TCP rollups", ct)
            && removed > 0) logger.LogDebug("Pruned {Count} TCP rollup(s) older than {Retention}", removed, retention);
    }

    /// <summary>Runs one database step; a failure is logged and reported as false (the next tick tries again), a stop propagates.</summary>
    private async Task<bool> TryAsync(Func<Task> step, string what, CancellationToken ct)
    {
        try
        {
            await step();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not {What}: {Message}", what, ex.Message);
            return false;
        }
    }
}
