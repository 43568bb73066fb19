using Meshwork.Model.Rollouts;
using Meshwork.Store.Rollouts;
using Npgsql;

namespace Meshwork.Store.Tests;

/// <summary>The rollout event outbox in a real PostgreSQL database.</summary>
public sealed class WebhookOutboxStoreTests : StoreDatabase
{
    private static RolloutStatus State(string name, int step) => new()
    {
        Namespace = "default", Name = name, RolloutVersion = 1, Phase = RolloutPhase.Progressing, StepCount = 3, Step = step,
        StepStartedAt = DateTimeOffset.UtcNow,
    };

    private static OutboxEvent Event(string rollout, string webhook, string body) =>
        new(0, "default", rollout, webhook, "https://hooks.example.com/x", TimeSpan.FromSeconds(5), 2, $$"""{"event":"{{body}}"}""");

    [Fact]
    public async Task Events_SavedWithTheState_ComeOutOldestFirstPerWebhook_UntilDeleted()
    {
        var database = NpgsqlDataSource.Create(ConnectionString);
        var states = new RolloutStateStore(database);
        var outbox = new WebhookOutboxStore(database);

        await states.SaveAsync(State("orders", 0), null, default, [Event("orders", "chat", "Started"), Event("orders", "audit", "Started")]);
        await states.SaveAsync(State("orders", 1), null, default, [Event("orders", "chat", "WeightSet")]);

        Assert.Equal(1, (await states.GetAsync("default", "orders", default))!.Step);
        var heads = await outbox.HeadsAsync(default);
        Assert.Equal([("audit", "Started"), ("chat", "Started")], heads.Select(h => (h.Webhook, Body(h))));
        var chat = heads.Single(h => h.Webhook == "chat");
        Assert.Equal(("https://hooks.example.com/x", TimeSpan.FromSeconds(5), 2), (chat.Url, chat.Timeout, chat.Retries));
        await outbox.DeleteAsync(chat.Id, default);
        Assert.Equal("WeightSet", Body((await outbox.HeadAsync("default", "orders", "chat", default))!));
    }

    [Fact]
    public async Task Prune_DeletesTheOldestBeyondTheCapacity_AndCountsThem()
    {
        var database = NpgsqlDataSource.Create(ConnectionString);
        var states = new RolloutStateStore(database);
        var outbox = new WebhookOutboxStore(database);
        await states.SaveAsync(State("orders", 0), null, default, [.. Enumerable.Range(1, 5).Select(i => Event("orders", "chat", $"e{i}"))]);

        Assert.Equal(2, await outbox.PruneAsync(3, default));

        Assert.Equal("e3", Body((await outbox.HeadAsync("default", "orders", "chat", default))!));
        Assert.Equal(0, await outbox.PruneAsync(3, default));
    }

    private static string Body(OutboxEvent entry) => System.Text.Json.JsonDocument.Parse(entry.Payload).RootElement.GetProperty("event").GetString()!;
}
