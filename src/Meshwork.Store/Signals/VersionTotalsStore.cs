using Npgsql;

namespace Meshwork.Store.Signals;

/// <summary>One service version's called-side counts since a process started (requests, 5xx failures, dense latency histogram).</summary>
public sealed record VersionCounts(string Namespace, string Service, string Version, long Requests, long Failures, long[] LatencyBucketCounts);

/// <summary>One writer's counts for a version, and when its row first reached the database (the database's clock).</summary>
public sealed record WriterCounts(string Writer, DateTimeOffset FirstWrittenAt, long Requests, long Failures, long[] LatencyBucketCounts);

/// <summary>Every writer's counts for one version, and the database's clock when they were read.</summary>
public sealed record VersionReading(DateTimeOffset ReadAt, IReadOnlyList<WriterCounts> Writers);

/// <summary>
/// Every control plane process's running counts per service version (table <c>version_totals</c>): each
/// process rewrites its own rows, so the leader reads what the proxies of every replica reported. The
/// counts only grow within one writer (a restart is a new writer), so an interval is the difference of two
/// readings, writer by writer.
/// </summary>
public sealed class VersionTotalsStore(NpgsqlDataSource database)
{
    /// <summary>Writes (or rewrites) <paramref name="writer"/>'s counts; a row keeps the time it was first written.</summary>
    public async Task SaveAsync(string writer, IReadOnlyCollection<VersionCounts> counts, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(writer);
        if (counts.Count == 0) return;
        await using var batch = database.CreateBatch();
        foreach (var count in counts)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO version_totals (namespace, service, version, writer, first_written_at, requests, failures, latency_bucket_counts, written_at)
                VALUES (@namespace, @service, @version, @writer, now(), @requests, @failures, @latency, now())
                ON CONFLICT (namespace, service, version, writer)
                DO UPDATE SET requests = excluded.requests, failures = excluded.failures,
                    latency_bucket_counts = excluded.latency_bucket_counts, written_at = excluded.written_at
                """);
            command.Parameters.AddWithValue("namespace", count.Namespace);
            command.Parameters.AddWithValue("service", count.Service);
            command.Parameters.AddWithValue("version", count.Version);
            command.Parameters.AddWithValue("writer", writer);
            command.Parameters.AddWithValue("requests", count.Requests);
            command.Parameters.AddWithValue("failures", count.Failures);
            command.Parameters.AddWithValue("latency", count.LatencyBucketCounts);
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Each writer's counts for one service version, with the database's clock at the reading.</summary>
    public async Task<VersionReading> ReadAsync(string @namespace, string service, string version, CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            SELECT now(), writer, first_written_at, requests, failures, latency_bucket_counts FROM (SELECT 1) AS clock
            LEFT JOIN version_totals ON namespace = @namespace AND service = @service AND version = @version
            """);
        command.Parameters.AddWithValue("namespace", @namespace);
        command.Parameters.AddWithValue("service", service);
        command.Parameters.AddWithValue("version", version);
        var counts = new List<WriterCounts>();
        var readAt = DateTimeOffset.MinValue;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            readAt = reader.GetFieldValue<DateTimeOffset>(0);
            if (!reader.IsDBNull(1))
                counts.Add(new WriterCounts(reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt64(3), reader.GetInt64(4),
                    reader.GetFieldValue<long[]>(5)));
        }
        return new VersionReading(readAt, counts);
    }

    /// <summary>Deletes the rows of writers that have not written since <paramref name="cutoff"/> (stopped processes); returns how many went.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = database.CreateCommand("DELETE FROM version_totals WHERE written_at < @cutoff");
        command.Parameters.AddWithValue("cutoff", cutoff);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
