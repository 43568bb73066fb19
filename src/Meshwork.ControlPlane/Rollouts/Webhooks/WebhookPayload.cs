using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>
/// The JSON body of every webhook request (docs/rollouts.md, Webhooks): which rollout, where it is,
/// and what happened. Step is the 0-based index into the steps, as in the rollout's status.
/// </summary>
public sealed record WebhookPayload(
    string Namespace,
    string Name,
    string Webhook,
    RolloutPhase Phase,
    int Step,
    int StepCount,
    int Weight,
    string Event,
    string Message,
    DateTimeOffset Time)
{
    /// <summary>The event of a pre-step gate call.</summary>
    public const string PreStepEvent = "PreStep";

    public static WebhookPayload Of(Rollout rollout, RolloutWebhook webhook, RolloutStatus state, string @event, string message, int step, int weight, DateTimeOffset at) =>
        new(rollout.Metadata.Namespace, rollout.Metadata.Name, webhook.Name, state.Phase, step, state.StepCount, weight, @event, message, at);
}
