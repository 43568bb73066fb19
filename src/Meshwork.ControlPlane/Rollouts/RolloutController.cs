using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Drives every Rollout resource, on the leader only: each tick it reads the rollouts and their
/// stored states, carries out operators' commands, judges the analysis interval that ended, moves
/// the route split when the weight changes (through <see cref="RouteSplitWriter"/>, audited), and
/// saves the new state. The state is saved after the split is written, and the split is written only
/// when it differs, so a leader that crashes in between (or a new one) repeats nothing.
/// </summary>
public sealed class RolloutController(
    LeaderElection leader,
    IServiceScopeFactory scopes,
    RolloutStateStore states,
    RouteSplitWriter splits,
    CanaryIntervals intervals,
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
        foreach (var gone in stored.Keys.Where(k => !live.Contains(k)))
            await states.DeleteAsync(gone.Namespace, gone.Name, ct);

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
        var analysis = current is not null && current.RolloutVersion == rollout.Metadata.Version ? intervals.Take(rollout, current, now) : null;
        var next = RolloutProgression.Next(rollout, rollout.Metadata.Version, current, now, analysis);
        if (current is null || next.Weight != current.Weight || current.RolloutVersion != next.RolloutVersion)
        {
            if (await splits.SetAsync(rollout, next.Weight, ct) is { } problem)
            {
                // Nothing moved: keep the state as it was (the command stays queued) and say why.
                var held = current ?? next with { Weight = 0, Phase = RolloutPhase.Progressing };
                if (held.Message != problem)
                    await states.SaveAsync(held with { Message = problem }, handled: null, ct);
                return;
            }
            logger.LogInformation("Rollout {Namespace}/{Name}: canary {Canary} at {Weight}%", rollout.Metadata.Namespace, rollout.Metadata.Name,
                rollout.CanaryVersion, next.Weight);
        }
        var unchanged = current is { Pending: null, Message: null } && next == current;
        if (!unchanged)
            await states.SaveAsync(next, current?.Pending, ct);
    }
}
