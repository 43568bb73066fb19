namespace Meshwork.ControlPlane.Configuration;

/// <summary>The "ControlPlane:Rollouts" configuration section (docs/rollouts.md, Webhooks).</summary>
public sealed class RolloutOptions
{
    /// <summary>
    /// HMAC-SHA256 key for the X-Meshwork-Signature header of every webhook request. Empty: requests
    /// go out unsigned (a warning is logged once). Never commit a real one.
    /// </summary>
    public string WebhookSigningKey { get; set; } = "";

    /// <summary>Event notifications waiting in the outbox (webhook_outbox), all webhooks together; beyond this the leader deletes the oldest (logged and counted as dropped).</summary>
    public int WebhookEventQueueCapacity { get; set; } = 1000;
}
