using Meshwork.ControlPlane.Configuration;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>How the event webhooks fared since this control plane started (shown on /replica).</summary>
public sealed record WebhookEventCounts(long Delivered, long Failed, long Dropped);

/// <summary>
/// Tells a rollout's event webhooks of every decision the controller saved. The controller only
/// queues, never waits. Each webhook of each rollout has its own queue and one sender working through
/// it in the background, in order, so a slow or dead receiver costs its own timeouts and retries,
/// never the controller's loop, other webhooks or other rollouts. At most
/// ControlPlane:Rollouts:WebhookEventQueueCapacity notifications wait in all queues together; beyond
/// that new ones are dropped, logged and counted.
/// </summary>
public sealed class RolloutEvents(WebhookClient client, IOptions<ControlPlaneOptions> options, ILogger<RolloutEvents> logger) : IDisposable
{
    private readonly object sync = new();
    private readonly Dictionary<(string Namespace, string Rollout, string Webhook), Queue<(RolloutWebhook Webhook, WebhookPayload Payload)>> queues = [];
    private readonly int capacity = Math.Max(1, options.Value.Rollouts.WebhookEventQueueCapacity);
    private readonly CancellationTokenSource stopping = new();
    private int waiting;
    private long delivered, failed, dropped;

    public WebhookEventCounts Counts => new(Interlocked.Read(ref delivered), Interlocked.Read(ref failed), Interlocked.Read(ref dropped));

    /// <summary>Queues one notification per event webhook and decision.</summary>
    public void Publish(Rollout rollout, RolloutStatus state, IEnumerable<RolloutDecision> decisions)
    {
        var receivers = rollout.Webhooks.Where(w => w.Type == RolloutWebhookType.Event).ToList();
        if (receivers.Count == 0) return;
        foreach (var decision in decisions)
        foreach (var webhook in receivers)
            Enqueue(webhook, WebhookPayload.Of(rollout, webhook, state, decision.Action, decision.Message, decision.Step, decision.Weight, decision.At));
    }

    private void Enqueue(RolloutWebhook webhook, WebhookPayload payload)
    {
        var key = (payload.Namespace, payload.Name, webhook.Name);
        lock (sync)
        {
            if (waiting >= capacity)
            {
                Interlocked.Increment(ref dropped);
                logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} for webhook {Webhook} dropped: {Capacity} undelivered events are waiting already",
                    payload.Namespace, payload.Name, payload.Event, webhook.Name, capacity);
                return;
            }
            waiting++;
            if (queues.TryGetValue(key, out var queue))
            {
                queue.Enqueue((webhook, payload));
                return;
            }
            queues[key] = new Queue<(RolloutWebhook, WebhookPayload)>([(webhook, payload)]);
        }
        _ = Task.Run(() => DrainAsync(key));
    }

    /// <summary>The one sender of a queue: delivers until the queue is empty, then removes it (the next event starts a new sender).</summary>
    private async Task DrainAsync((string, string, string) key)
    {
        while (true)
        {
            (RolloutWebhook Webhook, WebhookPayload Payload) next;
            lock (sync)
            {
                var queue = queues[key];
                if (queue.Count == 0 || stopping.IsCancellationRequested)
                {
                    waiting -= queue.Count;
                    queues.Remove(key);
                    return;
                }
                next = queue.Dequeue();
                waiting--;
            }
            await DeliverAsync(next.Webhook, next.Payload);
        }
    }

    private async Task DeliverAsync(RolloutWebhook webhook, WebhookPayload payload)
    {
        try
        {
            var outcome = await client.SendAsync(webhook, payload, stopping.Token);
            if (outcome.Succeeded)
            {
                Interlocked.Increment(ref delivered);
                return;
            }
            Interlocked.Increment(ref failed);
            logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} not delivered to webhook {Webhook} ({Url}): {Answer}",
                payload.Namespace, payload.Name, payload.Event, webhook.Name, webhook.Url, outcome.Answer);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref failed);
            logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} not delivered to webhook {Webhook}: {Message}",
                payload.Namespace, payload.Name, payload.Event, webhook.Name, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: what is still queued is not sent.
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
    }
}
