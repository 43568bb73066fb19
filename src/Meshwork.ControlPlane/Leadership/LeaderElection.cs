using System.Diagnostics;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Status;
using Meshwork.Store.Registry;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Leadership;

/// <summary>
/// Holds (or waits for) the leader lease in PostgreSQL: the replica holding it does the mesh's
/// once-only work (registry expiry, certificate housekeeping, later the rollout controller). It
/// renews every third of <see cref="ControlPlaneOptions.LeaderLeaseDuration"/>, and counts itself
/// leader only until its last successful renewal's lease would run out by its own clock (measured
/// from before the renewal was sent), so it stops before another replica can take over. A replica
/// stopping on purpose gives the lease up so another takes it at once.
/// </summary>
public sealed class LeaderElection(
    LeaseStore leases,
    FleetState fleet,
    IOptions<ControlPlaneOptions> options,
    ILogger<LeaderElection> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private long validUntil;   // Stopwatch timestamp; 0: not leader
    private long since;
    // A renewal failed while leader: the database was away, so leases went unrenewed meanwhile.
    private bool interrupted;

    public string ReplicaId => options.Value.EffectiveReplicaId;

    public bool IsLeader
    {
        get
        {
            lock (gate) return IsLeaderLocked();
        }
    }

    /// <summary>
    /// How long this process has been leader with every renewal succeeding (zero when it is not): a
    /// failed renewal starts it again, because while the database was away no replica renewed leases.
    /// </summary>
    public TimeSpan LeaderFor
    {
        get
        {
            lock (gate) return IsLeaderLocked() ? Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var duration = options.Value.LeaderLeaseDuration;
        while (!stoppingToken.IsCancellationRequested)
        {
            var attemptStarted = Stopwatch.GetTimestamp();
            bool held;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(duration / 3);
                held = await leases.TryAcquireAsync(LeaseStore.Leader, ReplicaId, duration, timeout.Token);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Unknown outcome: stay leader only until the last lease we know of runs out.
                logger.LogDebug("Leader lease renewal failed: {Message}", ex.Message);
                held = false;
                if (IsLeader)
                {
                    lock (gate) interrupted = true;
                    await DelayAsync(duration / 6, stoppingToken);
                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Record(held, attemptStarted, duration);
            await DelayAsync(duration / 3, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!IsLeader) return;
        lock (gate) validUntil = 0;
        try
        {
            await leases.ReleaseAsync(LeaseStore.Leader, ReplicaId, cancellationToken);
            logger.LogInformation("Replica {Replica} gave up the leader lease", ReplicaId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not give up the leader lease ({Message}); it runs out on its own", ex.Message);
        }
    }

    private void Record(bool held, long attemptStarted, TimeSpan duration)
    {
        bool gained, lost;
        lock (gate)
        {
            var was = IsLeaderLocked();
            if (held)
            {
                validUntil = attemptStarted + (long)(duration.TotalSeconds * Stopwatch.Frequency);
                if (!was || interrupted) since = Stopwatch.GetTimestamp();
                interrupted = false;
            }
            else
            {
                validUntil = 0;
            }
            gained = held && !was;
            lost = !held && was;
        }
        if (gained)
        {
            logger.LogInformation("Replica {Replica} is the leader", ReplicaId);
            fleet.Event("LeaderElected", "Info", null, null, null, $"replica {ReplicaId} holds the leader lease");
        }
        if (lost)
        {
            logger.LogWarning("Replica {Replica} lost the leader lease", ReplicaId);
            fleet.Event("LeaderLost", "Warning", null, null, null, $"replica {ReplicaId} no longer holds the leader lease");
        }
    }

    private bool IsLeaderLocked() => validUntil != 0 && Stopwatch.GetTimestamp() < validUntil;

    private static Task DelayAsync(TimeSpan delay, CancellationToken ct) =>
        Task.Delay(delay, ct).ContinueWith(_ => { }, TaskScheduler.Default);
}
