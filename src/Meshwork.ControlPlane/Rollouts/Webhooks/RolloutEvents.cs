using System.Collections.Concurrent;
using System.Text.Json;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Serialization;
using Meshwork.Store.Rollouts;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>How the event webhooks fared since this control plane started (shown on /replica).</summary>
public sealed record WebhookEventCounts(long Delivered, long Failed, long Dropped);

/// <summary>
/// Tells a rollout's event webhooks of every decision the controller saved, through the durable outbox
/// (<see cref="WebhookOutboxStore"/>): <see cref="Queue"/> turns decisions into outbox entries that the controller
/// saves with the state, in one transaction; on the leader, one sender per webhook of each rollout delivers its
/// entries oldest first and deletes each once delivered or given up after its retries. At least once: a leader
/// that stops (or crashes mid-delivery) leaves the rest, the one in flight included, to the next leader. A slow or
/// dead receiver costs only its own sender's timeouts and retries, never the controller's loop, other webhooks or
/// other rollouts. At most ControlPlane:Rollouts:WebhookEventQueueCapacity entries wait; beyond that the leader
/// deletes the oldest, logged and counted as dropped.
/// </summary>
public sealed class RolloutEvents(
    WebhookOutboxStore outbox,
    WebhookClient client,
    LeaderElection leader,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<RolloutEvents> logger) : BackgroundService
{
    private readonly int capacity = Math.Max(1, options.Value.Rollouts.WebhookEventQueueCapacity);
    /// <summary>The webhooks a sender is working through now (at most one sender each, so each stays in order).</summary>
    private readonly ConcurrentDictionary<(string Namespace, string Rollout, string Webhook), byte> sending = new();
    private long delivered, failed, dropped;

    public WebhookEventCounts Counts => new(Interlocked.Read(ref delivered), Interlocked.Read(ref failed), Interlocked.Read(ref dropped));

    /// <summary>One outbox entry per event webhook and decision, in order, to be saved with the state that decided them.</summary>
    public static IReadOnlyList<OutboxEvent> Queue(Rollout rollout, RolloutStatus state, IEnumerable<RolloutDecision> decisions)
    {
        var receivers = rollout.Webhooks.Where(w => w.Type == RolloutWebhookType.Event).ToList();
        if (receivers.Count == 0) return [];
        return decisions.SelectMany(decision => receivers.Select(webhook => new OutboxEvent(0, rollout.Metadata.Namespace, rollout.Metadata.Name,
            webhook.Name, webhook.Url, webhook.Timeout, webhook.Retries,
            JsonSerializer.Serialize(WebhookPayload.Of(rollout, webhook, state, decision.Action, decision.Message, decision.Step, decision.Weight, decision.At),
                MeshworkJson.Options)))).ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RolloutTickInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!leader.IsLeader) continue;
            try
            {
                var pruned = await outbox.PruneAsync(capacity, stoppingToken);
                if (pruned > 0)
                {
                    Interlocked.Add(ref dropped, pruned);
                    logger.LogWarning("{Count} undelivered rollout event(s) dropped, the oldest: more than {Capacity} were waiting", pruned, capacity);
                }
                foreach (var head in await outbox.HeadsAsync(stoppingToken))
                {
                    var key = (head.Namespace, head.Rollout, head.Webhook);
                    if (sending.TryAdd(key, 0)) _ = Task.Run(() => DrainAsync(key, stoppingToken), CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Rollout event outbox not read: {Message}", ex.Message);
            }
        }
    }

    /// <summary>The one sender of a webhook: delivers its entries in order while this replica leads, then ends (the next tick starts a new one).</summary>
    private async Task DrainAsync((string Namespace, string Rollout, string Webhook) key, CancellationToken ct)
    {
        try
        {
            while (leader.IsLeader && await outbox.HeadAsync(key.Namespace, key.Rollout, key.Webhook, ct) is { } next)
            {
                await DeliverAsync(next, ct);
                await outbox.DeleteAsync(next.Id, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // PostgreSQL away: the entry stays and is sent again (at least once) by the next sender.
            logger.LogWarning("Rollout {Namespace}/{Name}: events for webhook {Webhook} paused: {Message}", key.Namespace, key.Rollout, key.Webhook, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is waiting stays in the outbox for the next leader.
        }
        finally
        {
            sending.TryRemove(key, out _);
        }
    }

    private async Task DeliverAsync(OutboxEvent entry, CancellationToken ct)
    {
        var webhook = new RolloutWebhook { Name = entry.Webhook, Type = RolloutWebhookType.Event, Url = entry.Url, Timeout = entry.Timeout, Retries = entry.Retries };
        var payload = JsonSerializer.Deserialize<WebhookPayload>(entry.Payload, MeshworkJson.Options)!;
        WebhookOutcome outcome;
        try
        {
            outcome = await client.SendAsync(webhook, payload, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            outcome = new WebhookOutcome(false, ex.Message, 1);
        }
        if (outcome.Succeeded)
        {
            Interlocked.Increment(ref delivered);
            return;
        }
        Interlocked.Increment(ref failed);
        logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} not delivered to webhook {Webhook} ({Url}): {Answer}",
            entry.Namespace, entry.Rollout, payload.Event, entry.Webhook, entry.Url, outcome.Answer);
    }
}
