namespace Meshwork.Store.Entities;

/// <summary>
/// One rollout event waiting for delivery to one event webhook (table <c>webhook_outbox</c>): written in the
/// same transaction as the rollout state that decided it, deleted by the leader once delivered (or given up
/// after its retries), so a leader that stops leaves the rest to the next one.
/// </summary>
internal sealed class WebhookOutboxRow
{
    /// <summary>Increasing: the order of delivery per webhook.</summary>
    public long Id { get; set; }
    public required string Namespace { get; set; }
    public required string Rollout { get; set; }
    public required string Webhook { get; set; }
    /// <summary>The webhook as the rollout named it when the event was decided: where, how long per attempt, how many retries.</summary>
    public required string Url { get; set; }
    public int TimeoutMs { get; set; }
    public int Retries { get; set; }
    /// <summary>The JSON body to send.</summary>
    public required string Payload { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
