using Npgsql;
using NpgsqlTypes;

namespace Meshwork.Store.Rollouts;

/// <summary>One event for one event webhook, as queued (<see cref="Id"/> 0 until stored).</summary>
public sealed record OutboxEvent(long Id, string Namespace, string Rollout, string Webhook, string Url, TimeSpan Timeout, int Retries, string Payload);

/// <summary>
/// Table <c>webhook_outbox</c>: rollout events waiting for their event webhooks. They are queued in the same
/// transaction as the state that decided them (<see cref="RolloutStateStore.SaveAsync"/>), delivered by the
/// leader oldest first per webhook and deleted afterwards: at least once, a leader that stops leaves the rest
/// to the next one. Bounded: beyond a capacity the oldest are deleted (<see cref="PruneAsync"/>).
/// </summary>
public sealed class WebhookOutboxStore(NpgsqlDataSource database)
{
    private const string Columns = "id, namespace, rollout, webhook, url, timeout_ms, retries, payload";

    internal static NpgsqlBatchCommand Insert(OutboxEvent entry)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO webhook_outbox (namespace, rollout, webhook, url, timeout_ms, retries, payload, created_at)
            VALUES (@namespace, @rollout, @webhook, @url, @timeout_ms, @retries, @payload, now())
            """);
        command.Parameters.AddWithValue("namespace", entry.Namespace);
        command.Parameters.AddWithValue("rollout", entry.Rollout);
        command.Parameters.AddWithValue("webhook", entry.Webhook);
        command.Parameters.AddWithValue("url", entry.Url);
        command.Parameters.AddWithValue("timeout_ms", (int)entry.Timeout.TotalMilliseconds);
        command.Parameters.AddWithValue("retries", entry.Retries);
        command.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Jsonb) { Value = entry.Payload });
        return command;
    }

    /// <summary>The oldest waiting event of each webhook.</summary>
    public async Task<IReadOnlyList<OutboxEvent>> HeadsAsync(CancellationToken ct)
    {
        await using var command = database.CreateCommand($"""
            SELECT DISTINCT ON (namespace, rollout, webhook) {Columns} FROM webhook_outbox ORDER BY namespace, rollout, webhook, id
            """);
        return await ReadAsync(command, ct);
    }

    /// <summary>The oldest waiting event of one webhook, or null when none waits.</summary>
    public async Task<OutboxEvent?> HeadAsync(string ns, string rollout, string webhook, CancellationToken ct)
    {
        await using var command = database.CreateCommand($"""
            SELECT {Columns} FROM webhook_outbox WHERE namespace = @namespace AND rollout = @rollout AND webhook = @webhook ORDER BY id LIMIT 1
            """);
        command.Parameters.AddWithValue("namespace", ns);
        command.Parameters.AddWithValue("rollout", rollout);
        command.Parameters.AddWithValue("webhook", webhook);
        return (await ReadAsync(command, ct)).SingleOrDefault();
    }

    /// <summary>Removes a delivered (or given up) event.</summary>
    public async Task DeleteAsync(long id, CancellationToken ct)
    {
        await using var command = database.CreateCommand("DELETE FROM webhook_outbox WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Deletes the oldest events beyond the newest <paramref name="capacity"/>; returns how many went.</summary>
    public async Task<int> PruneAsync(int capacity, CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM webhook_outbox ORDER BY id DESC OFFSET @capacity)
            """);
        command.Parameters.AddWithValue("capacity", capacity);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<OutboxEvent>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var events = new List<OutboxEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            events.Add(new OutboxEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                TimeSpan.FromMilliseconds(reader.GetInt32(5)), reader.GetInt32(6), reader.GetString(7)));
        return events;
    }
}
