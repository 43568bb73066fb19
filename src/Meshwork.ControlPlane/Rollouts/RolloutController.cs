using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.ControlPlane.Rollouts.Webhooks;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Drives every Rollout resource, on the leader only: each tick it reads the rollouts and their
/// stored states, carries out operators' commands, judges the analysis interval that ended, moves
/// the route split when the weight or the canary mirror changes (through <see cref="RouteSplitWriter"/>, audited), and
/// saves the new state. The state is saved after the split is written, and the split is written only
/// when it differs, so a leader that crashes in between (or a new one) repeats nothing. Pre-step
/// webhooks are asked in the background (<see cref="PreStepGates"/>); the events for event webhooks are saved
/// with the state, in its transaction, and delivered from that outbox (<see cref="RolloutEvents"/>): neither holds the loop.
/// </summary>
public sealed class RolloutController(
    LeaderElection leader,
    IServiceScopeFactory scopes,
    RolloutStateStore states,
    RouteSplitWriter splits,
    CanaryIntervals intervals,
    PreStepGates gates,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<RolloutController> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RolloutTickInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!leader.IsLeader)
            {
                intervals.Retain(new HashSet<(string, string)>());
                gates.Retain(new HashSet<(string, string)>());
                continue;
            }
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // PostgreSQL away or a write refused: nothing moved that was not saved; the next tick tries again.
                logger.LogWarning("Rollout controller tick failed: {Message}", ex.Message);
            }
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        IReadOnlyList<StoredResource> rollouts;
        await using (var scope = scopes.CreateAsyncScope())
            rollouts = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync(ResourceKind.Rollout, ct: ct);
        var stored = (await states.ListAsync(ct)).ToDictionary(s => (s.Namespace, s.Name));
        var live = rollouts.Select(r => (r.Resource.Metadata.Namespace, r.Resource.Metadata.Name)).ToHashSet();
        intervals.Retain(live);
        gates.Retain(live);
        foreach (var gone in stored.Keys.Where(k => !live.Contains(k)))
        {
            // The deleted rollout's A/B rules and mirror go first; its state stays (and this is tried again) until they are gone.
            if (await splits.RemoveOwnRulesAsync(gone.Namespace, gone.Name, ct) is { } problem)
            {
                logger.LogWarning("Rollout {Namespace}/{Name} deleted, its A/B rules or mirror not removed yet: {Problem}", gone.Namespace, gone.Name, problem);
                continue;
            }
            await states.DeleteAsync(gone.Namespace, gone.Name, ct);
        }

        foreach (var resource in rollouts)
        {
            if (!leader.IsLeader) return;
            var rollout = (Rollout)resource.Resource;
            stored.TryGetValue((rollout.Metadata.Namespace, rollout.Metadata.Name), out var current);
            await StepAsync(rollout, current, ct);
        }
    }

    private async Task StepAsync(Rollout rollout, RolloutStatus? current, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var analysis = current is not null && current.RolloutVersion == rollout.Metadata.Version ? await intervals.TakeAsync(rollout, current, now, ct) : null;
        var next = RolloutProgression.Next(rollout, rollout.Metadata.Version, current, now, analysis,
            (state, step) => gates.Hold(rollout, state, step, now));
        var live = RolloutStatuses.IsLive(next.Phase);
        var mirror = RolloutStatuses.MirrorPercent(rollout, next);
        if (current is null || next.Weight != current.Weight || current.RolloutVersion != next.RolloutVersion || live != RolloutStatuses.IsLive(current.Phase)
            || mirror != RolloutStatuses.MirrorPercent(rollout, current))
        {
            if (await splits.SetAsync(rollout, next.Weight, live, mirror, ct) is { } problem)
            {
                // Nothing moved: keep the state as it was (the command stays queued) and say why.
                var held = current ?? next with { Weight = 0, Phase = RolloutPhase.Progressing };
                if (held.Message != problem)
                    await states.SaveAsync(held with { Message = problem }, handled: null, ct);
                return;
            }
            logger.LogInformation("Rollout {Namespace}/{Name}: canary {Canary} at {Weight}%, mirroring {Mirror}%", rollout.Metadata.Namespace, rollout.Metadata.Name,
                rollout.CanaryVersion, next.Weight, mirror ?? 0);
        }
        var unchanged = current is { Pending: null } && next == current;
        if (unchanged) return;
        await states.SaveAsync(next, current?.Pending, ct, RolloutEvents.Queue(rollout, next, NewDecisions(current, next)));
    }

    /// <summary>The decisions <paramref name="next"/> added: the history is carried over by reference and appended to.</summary>
    private static IEnumerable<RolloutDecision> NewDecisions(RolloutStatus? current, RolloutStatus next)
    {
        if (current is not { History.Count: > 0 }) return next.History;
        var last = current.History[^1];
        for (var i = next.History.Count - 1; i >= 0; i--)
            if (ReferenceEquals(next.History[i], last)) return next.History.Skip(i + 1);
        // The carried-over entries are gone (a new spec version starts a fresh state): all of them are new, as far as can be told.
        return next.History.Where(d => d.At > last.At);
    }
}
