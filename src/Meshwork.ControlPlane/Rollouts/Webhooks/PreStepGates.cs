using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>
/// The pre-step webhooks of every rollout, asked in the background so that a slow gate never holds the
/// controller's loop (nor other rollouts): the first time the progression asks about a step a check
/// starts and the step is held; each later round reads the finished check. A pass opens the step once
/// (the progression records it, so it is not asked again); a refusal holds the step with what the
/// webhook answered, and the next round asks again. One check at a time per rollout. Held in memory by
/// the leader: a new leader asks the gate of a step not yet opened again.
/// </summary>
public sealed class PreStepGates(WebhookClient client, ILogger<PreStepGates> logger)
{
    private readonly Dictionary<(string Namespace, string Name), Check> checks = [];

    private sealed record Check(long Version, int Step, Task<string?> Refusal, string HoldMessage);

    /// <summary>Null when <paramref name="step"/> may be entered now; otherwise why it is held (the status message).</summary>
    public string? Hold(Rollout rollout, RolloutStatus state, int step, DateTimeOffset now)
    {
        var gates = rollout.Webhooks.Where(w => w.Type == RolloutWebhookType.PreStep).ToList();
        if (gates.Count == 0) return null;
        var key = (rollout.Metadata.Namespace, rollout.Metadata.Name);
        if (checks.TryGetValue(key, out var check) && check.Version == state.RolloutVersion && check.Step == step)
        {
            if (!check.Refusal.IsCompleted) return check.HoldMessage;
            checks.Remove(key);
            if (check.Refusal.Result is not { } refusal) return null;
            // Asked again at once; the status keeps saying what the last answer was until it changes.
            Start(key, rollout, gates, state, step, now, refusal);
            return refusal;
        }
        var calling = $"step {step + 1} held until its pre-step webhooks answer 2xx: calling {string.Join(", ", gates.Select(g => $"'{g.Name}'"))}";
        Start(key, rollout, gates, state, step, now, calling);
        return calling;
    }

    /// <summary>Forgets the checks of rollouts that are gone, and all of them when this replica stops leading.</summary>
    public void Retain(IReadOnlySet<(string Namespace, string Name)> live)
    {
        foreach (var key in checks.Keys.Where(k => !live.Contains(k)).ToList()) checks.Remove(key);
    }

    private void Start((string, string) key, Rollout rollout, IReadOnlyList<RolloutWebhook> gates, RolloutStatus state, int step, DateTimeOffset now, string holdMessage) =>
        checks[key] = new Check(state.RolloutVersion, step, Task.Run(() => AskAsync(rollout, gates, state, step, now)), holdMessage);

    /// <summary>Every gate in order; the first that does not answer 2xx (after its retries) holds the step.</summary>
    private async Task<string?> AskAsync(Rollout rollout, IReadOnlyList<RolloutWebhook> gates, RolloutStatus state, int step, DateTimeOffset now)
    {
        var what = rollout.Steps[step] is { SetWeight: { } weight } ? $"set the canary to {weight}%" : "pause";
        foreach (var gate in gates)
        {
            var payload = WebhookPayload.Of(rollout, gate, state, WebhookPayload.PreStepEvent,
                $"step {step + 1} of {rollout.Steps.Count} ({what}) is about to be entered", step, state.Weight, now);
            WebhookOutcome outcome;
            try
            {
                outcome = await client.SendAsync(gate, payload, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the step stays held and the gate is asked again next round.
                outcome = new WebhookOutcome(false, $"could not be called: {ex.Message}", 1);
            }
            if (outcome.Succeeded) continue;
            logger.LogInformation("Rollout {Namespace}/{Name}: step {Step} held by pre-step webhook {Webhook}: {Answer}",
                rollout.Metadata.Namespace, rollout.Metadata.Name, step + 1, gate.Name, outcome.Answer);
            return $"step {step + 1} held by pre-step webhook '{gate.Name}' ({gate.Url}): {outcome.Answer}; asked again next round";
        }
        return null;
    }
}
