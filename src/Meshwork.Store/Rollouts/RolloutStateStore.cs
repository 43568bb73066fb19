using System.Text.Json;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Meshwork.Store.Rollouts;

/// <summary>
/// Table <c>rollout_states</c>: the rollout controller saves each rollout's state here (so a restart
/// or a new leader resumes where it was), and the portal queues an operator's command in it. The
/// two writers never overwrite each other: the portal writes only the pending command, and the
/// controller clears a command only if it is still the one it carried out.
/// </summary>
public sealed class RolloutStateStore(NpgsqlDataSource database)
{
    private const string Columns = """
        namespace, name, rollout_version, phase, step, step_count, weight, step_started_at, consecutive_failures, message,
        last_analysis, history, pending_command, pending_actor, pending_at, updated_at, analyses
        """;

    public async Task<RolloutStatus?> GetAsync(string ns, string name, CancellationToken ct)
    {
        await using var command = database.CreateCommand($"SELECT {Columns} FROM rollout_states WHERE namespace = @namespace AND name = @name");
        command.Parameters.AddWithValue("namespace", ns);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<RolloutStatus>> ListAsync(CancellationToken ct)
    {
        await using var command = database.CreateCommand($"SELECT {Columns} FROM rollout_states ORDER BY namespace, name");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var states = new List<RolloutStatus>();
        while (await reader.ReadAsync(ct)) states.Add(Read(reader));
        return states;
    }

    /// <summary>
    /// The controller's write: everything but the pending command, which is cleared only when it is
    /// still <paramref name="handled"/> (a command queued meanwhile stays for the next round). The
    /// <paramref name="events"/> its decisions raised are queued in <see cref="WebhookOutboxStore"/> in the same
    /// transaction: a saved decision is never without its notifications, nor the other way round.
    /// </summary>
    public async Task SaveAsync(RolloutStatus status, PendingRolloutCommand? handled, CancellationToken ct, IReadOnlyList<OutboxEvent>? events = null)
    {
        // One batch is one transaction.
        await using var batch = database.CreateBatch();
        var command = new NpgsqlBatchCommand("""
            INSERT INTO rollout_states (namespace, name, rollout_version, phase, step, step_count, weight, step_started_at,
                consecutive_failures, message, last_analysis, history, analyses, updated_at)
            VALUES (@namespace, @name, @rollout_version, @phase, @step, @step_count, @weight, @step_started_at,
                @consecutive_failures, @message, @last_analysis, @history, @analyses, now())
            ON CONFLICT (namespace, name) DO UPDATE SET
                rollout_version = excluded.rollout_version, phase = excluded.phase, step = excluded.step,
                step_count = excluded.step_count, weight = excluded.weight, step_started_at = excluded.step_started_at,
                consecutive_failures = excluded.consecutive_failures, message = excluded.message,
                last_analysis = excluded.last_analysis, history = excluded.history, analyses = excluded.analyses, updated_at = now(),
                pending_command = CASE WHEN rollout_states.pending_at = @handled_at THEN NULL ELSE rollout_states.pending_command END,
                pending_actor = CASE WHEN rollout_states.pending_at = @handled_at THEN NULL ELSE rollout_states.pending_actor END,
                pending_at = CASE WHEN rollout_states.pending_at = @handled_at THEN NULL ELSE rollout_states.pending_at END
            """);
        command.Parameters.AddWithValue("namespace", status.Namespace);
        command.Parameters.AddWithValue("name", status.Name);
        command.Parameters.AddWithValue("rollout_version", status.RolloutVersion);
        command.Parameters.AddWithValue("phase", status.Phase.ToString());
        command.Parameters.AddWithValue("step", status.Step);
        command.Parameters.AddWithValue("step_count", status.StepCount);
        command.Parameters.AddWithValue("weight", status.Weight);
        command.Parameters.AddWithValue("step_started_at", status.StepStartedAt);
        command.Parameters.AddWithValue("consecutive_failures", status.ConsecutiveFailures);
        command.Parameters.AddWithValue("message", (object?)status.Message ?? DBNull.Value);
        command.Parameters.Add(new NpgsqlParameter("last_analysis", NpgsqlDbType.Jsonb)
        {
            Value = status.LastAnalysis is null ? DBNull.Value : JsonSerializer.Serialize(status.LastAnalysis, MeshworkJson.Options),
        });
        command.Parameters.Add(new NpgsqlParameter("history", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(status.History, MeshworkJson.Options) });
        command.Parameters.Add(new NpgsqlParameter("analyses", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(status.Analyses, MeshworkJson.Options) });
        command.Parameters.Add(new NpgsqlParameter("handled_at", NpgsqlDbType.TimestampTz) { Value = (object?)handled?.At ?? DBNull.Value });
        batch.BatchCommands.Add(command);
        foreach (var entry in events ?? []) batch.BatchCommands.Add(WebhookOutboxStore.Insert(entry));
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The portal's write: queues <paramref name="command"/> for the controller, replacing one not yet
    /// carried out. A rollout the controller has not picked up yet gets a row holding just the command.
    /// </summary>
    public async Task<PendingRolloutCommand> RequestAsync(string ns, string name, RolloutCommand command, string actor, CancellationToken ct)
    {
        await using var sql = database.CreateCommand("""
            INSERT INTO rollout_states (namespace, name, rollout_version, step, step_count, weight, consecutive_failures,
                pending_command, pending_actor, pending_at)
            VALUES (@namespace, @name, 0, 0, 0, 0, 0, @command, @actor, clock_timestamp())
            ON CONFLICT (namespace, name) DO UPDATE SET
                pending_command = excluded.pending_command, pending_actor = excluded.pending_actor, pending_at = excluded.pending_at
            RETURNING pending_at
            """);
        sql.Parameters.AddWithValue("namespace", ns);
        sql.Parameters.AddWithValue("name", name);
        sql.Parameters.AddWithValue("command", command.ToString());
        sql.Parameters.AddWithValue("actor", actor);
        var at = (DateTime)(await sql.ExecuteScalarAsync(ct))!;
        return new PendingRolloutCommand(command, actor, new DateTimeOffset(at, TimeSpan.Zero));
    }

    /// <summary>Forgets the state of a rollout that no longer exists (the controller's housekeeping).</summary>
    public async Task DeleteAsync(string ns, string name, CancellationToken ct)
    {
        await using var command = database.CreateCommand("DELETE FROM rollout_states WHERE namespace = @namespace AND name = @name");
        command.Parameters.AddWithValue("namespace", ns);
        command.Parameters.AddWithValue("name", name);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static RolloutStatus Read(NpgsqlDataReader reader)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetDateTime(i), TimeSpan.Zero);
        var pending = Text(12) is { } command && Enum.TryParse<RolloutCommand>(command, out var parsed)
            ? new PendingRolloutCommand(parsed, Text(13) ?? "", Time(14) ?? DateTimeOffset.MinValue)
            : null;
        return new RolloutStatus
        {
            Namespace = reader.GetString(0),
            Name = reader.GetString(1),
            RolloutVersion = reader.GetInt64(2),
            Phase = Enum.Parse<RolloutPhase>(reader.GetString(3)),
            Step = reader.GetInt32(4),
            StepCount = reader.GetInt32(5),
            Weight = reader.GetInt32(6),
            StepStartedAt = Time(7) ?? DateTimeOffset.MinValue,
            ConsecutiveFailures = reader.GetInt32(8),
            Message = Text(9),
            LastAnalysis = Text(10) is { } analysis ? JsonSerializer.Deserialize<RolloutAnalysisResult>(analysis, MeshworkJson.Options) : null,
            History = JsonSerializer.Deserialize<List<RolloutDecision>>(reader.GetString(11), MeshworkJson.Options) ?? [],
            Pending = pending,
            UpdatedAt = Time(15) ?? DateTimeOffset.MinValue,
            Analyses = JsonSerializer.Deserialize<List<RolloutAnalysisResult>>(reader.GetString(16), MeshworkJson.Options) ?? [],
        };
    }
}
