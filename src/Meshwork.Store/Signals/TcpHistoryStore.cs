using Npgsql;

namespace Meshwork.Store.Signals;

/// <summary>
/// One-minute TCP edge rollups (table <c>tcp_rollups</c>), kept as <see cref="SignalHistoryStore"/> keeps the HTTP ones:
/// every control plane process writes the minutes it counted under its own writer name and rewrites them whole, so a
/// retry, a restart (a new process is a new writer) or a leader change never counts a connection twice; readers add the
/// writers up.
/// </summary>
public sealed class TcpHistoryStore(NpgsqlDataSource database)
{
    /// <summary>Writes (or rewrites) <paramref name="writer"/>'s count of each minute and edge.</summary>
    public async Task SaveAsync(string writer, IReadOnlyCollection<TcpRollup> rollups, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(writer);
        if (rollups.Count == 0) return;
        await using var batch = database.CreateBatch();
        foreach (var rollup in rollups)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO tcp_rollups (minute, source_service, source_namespace, source_version, destination_service, destination_namespace,
                    destination_version, writer, opened, closed, connect_failures, denied, received_bytes, sent_bytes, closed_duration_ms, written_at)
                VALUES (@minute, @sourceService, @sourceNamespace, @sourceVersion, @destinationService, @destinationNamespace,
                    @destinationVersion, @writer, @opened, @closed, @connectFailures, @denied, @receivedBytes, @sentBytes, @closedDurationMs, now())
                ON CONFLICT (minute, source_service, source_namespace, source_version, destination_service, destination_namespace,
                    destination_version, writer)
                DO UPDATE SET opened = excluded.opened, closed = excluded.closed, connect_failures = excluded.connect_failures,
                    denied = excluded.denied, received_bytes = excluded.received_bytes, sent_bytes = excluded.sent_bytes,
                    closed_duration_ms = excluded.closed_duration_ms, written_at = excluded.written_at
                """);
            var edge = rollup.Edge;
            command.Parameters.AddWithValue("minute", SignalHistoryStore.TruncateToMinute(rollup.Minute));
            command.Parameters.AddWithValue("sourceService", edge.SourceService);
            command.Parameters.AddWithValue("sourceNamespace", edge.SourceNamespace);
            command.Parameters.AddWithValue("sourceVersion", edge.SourceVersion);
            command.Parameters.AddWithValue("destinationService", edge.DestinationService);
            command.Parameters.AddWithValue("destinationNamespace", edge.DestinationNamespace);
            command.Parameters.AddWithValue("destinationVersion", edge.DestinationVersion);
            command.Parameters.AddWithValue("writer", writer);
            command.Parameters.AddWithValue("opened", rollup.Opened);
            command.Parameters.AddWithValue("closed", rollup.Closed);
            command.Parameters.AddWithValue("connectFailures", rollup.ConnectFailures);
            command.Parameters.AddWithValue("denied", rollup.Denied);
            command.Parameters.AddWithValue("receivedBytes", rollup.ReceivedBytes);
            command.Parameters.AddWithValue("sentBytes", rollup.SentBytes);
            command.Parameters.AddWithValue("closedDurationMs", rollup.ClosedDurationMs);
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Deletes the minutes that started before <paramref name="cutoff"/>; returns how many rows went.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = database.CreateCommand("DELETE FROM tcp_rollups WHERE minute < @cutoff");
        command.Parameters.AddWithValue("cutoff", cutoff);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The TCP edges from or to <paramref name="namespace"/>/<paramref name="service"/> (every edge when both are null) for the
    /// minutes starting in [<paramref name="from"/>, <paramref name="to"/>), every writer's share added up, ordered by minute.
    /// </summary>
    public async Task<IReadOnlyList<TcpRollup>> ReadAsync(string? @namespace, string? service, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (to < from) throw new ArgumentException($"the window ends ({to:O}) before it starts ({from:O})", nameof(to));
        if ((@namespace is null) != (service is null)) throw new ArgumentException("give both the namespace and the service, or neither", nameof(service));
        await using var command = database.CreateCommand($"""
            SELECT minute, source_service, source_namespace, source_version, destination_service, destination_namespace, destination_version,
                opened, closed, connect_failures, denied, received_bytes, sent_bytes, closed_duration_ms
            FROM tcp_rollups WHERE minute >= @from AND minute < @to
            {(service is null ? "" : """
                AND ((source_namespace = @namespace AND source_service = @service)
                  OR (destination_namespace = @namespace AND destination_service = @service))
                """)}
            ORDER BY minute
            """);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        if (service is not null)
        {
            command.Parameters.AddWithValue("namespace", @namespace!);
            command.Parameters.AddWithValue("service", service);
        }
        var sums = new Dictionary<(DateTimeOffset, TcpEdgeSeries), TcpRollup>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var rollup = new TcpRollup(reader.GetFieldValue<DateTimeOffset>(0),
                new TcpEdgeSeries(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)),
                reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetInt64(13));
            var key = (rollup.Minute, rollup.Edge);
            sums[key] = sums.TryGetValue(key, out var sum) ? sum + rollup : rollup;
        }
        return sums.Values.OrderBy(rollup => rollup.Minute).ToList();
    }
}
