using System.Threading.Channels;
using Meshwork.ControlPlane.Configuration;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Rollouts.Webhooks;

/// <summary>How the event webhooks fared since this control plane started (shown on /replica).</summary>
public sealed record WebhookEventCounts(long Delivered, long Failed, long Dropped);

/// <summary>
/// Tells a rollout's event webhooks of every decision the controller saved. The controller only
/// queues (a bounded queue: when receivers fall that far behind, new notifications are dropped, logged
/// and counted); a few senders deliver in the background, so a slow or dead receiver costs its
/// timeout and retries on one sender, never the controller's loop or the other rollouts.
/// </summary>
public sealed class RolloutEvents : BackgroundService
{
    private readonly Channel<(RolloutWebhook Webhook, WebhookPayload Payload)> queue;
    private readonly WebhookClient client;
    private readonly int senders;
    private readonly ILogger<RolloutEvents> logger;
    private long delivered, failed, dropped;

    public RolloutEvents(WebhookClient client, IOptions<ControlPlaneOptions> options, ILogger<RolloutEvents> logger)
    {
        this.client = client;
        this.logger = logger;
        var settings = options.Value.Rollouts;
        senders = Math.Max(1, settings.WebhookEventSenders);
        queue = Channel.CreateBounded<(RolloutWebhook, WebhookPayload)>(new BoundedChannelOptions(Math.Max(1, settings.WebhookEventQueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
    }

    public WebhookEventCounts Counts => new(Interlocked.Read(ref delivered), Interlocked.Read(ref failed), Interlocked.Read(ref dropped));

    /// <summary>Queues one notification per event webhook and decision; never waits.</summary>
    public void Publish(Rollout rollout, RolloutStatus state, IEnumerable<RolloutDecision> decisions)
    {
        var receivers = rollout.Webhooks.Where(w => w.Type == RolloutWebhookType.Event).ToList();
        if (receivers.Count == 0) return;
        foreach (var decision in decisions)
        foreach (var webhook in receivers)
        {
            var payload = WebhookPayload.Of(rollout, webhook, state, decision.Action, decision.Message, decision.Step, decision.Weight, decision.At);
            if (queue.Writer.TryWrite((webhook, payload))) continue;
            Interlocked.Increment(ref dropped);
            logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} for webhook {Webhook} dropped: the queue of undelivered events is full",
                rollout.Metadata.Namespace, rollout.Metadata.Name, decision.Action, webhook.Name);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, senders).Select(_ => SendAsync(stoppingToken)));

    private async Task SendAsync(CancellationToken ct)
    {
        await foreach (var (webhook, payload) in queue.Reader.ReadAllAsync(ct))
        {
            try
            {
                var outcome = await client.SendAsync(webhook, payload, ct);
                if (outcome.Succeeded)
                {
                    Interlocked.Increment(ref delivered);
                    continue;
                }
                Interlocked.Increment(ref failed);
                logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} not delivered to webhook {Webhook} ({Url}): {Answer}",
                    payload.Namespace, payload.Name, payload.Event, webhook.Name, webhook.Url, outcome.Answer);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref failed);
                logger.LogWarning("Rollout {Namespace}/{Name}: event {Event} not delivered to webhook {Webhook}: {Message}",
                    payload.Namespace, payload.Name, payload.Event, webhook.Name, ex.Message);
            }
        }
    }
}
