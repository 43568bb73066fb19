using Npgsql;

namespace Meshwork.Store.Signals;

/// <summary>
/// One-minute golden-signal rollups (table <c>signal_rollups</c>). Every control plane process
/// writes the minutes it counted under its own writer name and rewrites them whole each time, so a
/// repeated or retried write, a restart (a new process is a new writer) or a leader change never
/// counts a request twice; readers add the writers up.
/// </summary>
public sealed class SignalHistoryStore(NpgsqlDataSource database)
{
    private const string EdgeKind = "edge";
    private const string ServiceVersionKind = "service-version";
    private const string RouteKind = "route";

    /// <summary>Writes (or rewrites) <paramref name="writer"/>'s count of each minute and series.</summary>
    public async Task SaveAsync(string writer, IReadOnlyCollection<SignalRollup> rollups, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(writer);
        if (rollups.Count == 0) return;
        await using var batch = database.CreateBatch();
        foreach (var rollup in rollups)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO signal_rollups (minute, kind, source_service, source_namespace, source_version,
                    destination_service, destination_namespace, destination_version, writer, requests, failures, latency_bucket_counts, written_at)
                VALUES (@minute, @kind, @sourceService, @sourceNamespace, @sourceVersion,
                    @destinationService, @destinationNamespace, @destinationVersion, @writer, @requests, @failures, @latency, now())
                ON CONFLICT (minute, kind, source_service, source_namespace, source_version,
                    destination_service, destination_namespace, destination_version, writer)
                DO UPDATE SET requests = excluded.requests, failures = excluded.failures,
                    latency_bucket_counts = excluded.latency_bucket_counts, written_at = excluded.written_at
                """);
            var series = rollup.Series;
            command.Parameters.AddWithValue("minute", TruncateToMinute(rollup.Minute));
            command.Parameters.AddWithValue("kind", KindName(series.Kind));
            command.Parameters.AddWithValue("sourceService", series.SourceService);
            command.Parameters.AddWithValue("sourceNamespace", series.SourceNamespace);
            command.Parameters.AddWithValue("sourceVersion", series.SourceVersion);
            command.Parameters.AddWithValue("destinationService", series.DestinationService);
            command.Parameters.AddWithValue("destinationNamespace", series.DestinationNamespace);
            command.Parameters.AddWithValue("destinationVersion", series.DestinationVersion);
            command.Parameters.AddWithValue("writer", writer);
            command.Parameters.AddWithValue("requests", rollup.Requests);
            command.Parameters.AddWithValue("failures", rollup.Failures);
            command.Parameters.AddWithValue("latency", rollup.LatencyBucketCounts.ToArray());
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Deletes the minutes that started before <paramref name="cutoff"/>; returns how many rows went.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = database.CreateCommand("DELETE FROM signal_rollups WHERE minute < @cutoff");
        command.Parameters.AddWithValue("cutoff", cutoff);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The rollups of <paramref name="kind"/> for the minutes starting in [<paramref name="from"/>,
    /// <paramref name="to"/>), every writer's share added up, ordered by minute.
    /// </summary>
    public Task<IReadOnlyList<SignalRollup>> ReadAsync(SignalSeriesKind kind, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        ReadAsync(kind, destination: null, from, to, ct);

    /// <summary>As <see cref="ReadAsync(SignalSeriesKind, DateTimeOffset, DateTimeOffset, CancellationToken)"/>, for the rules of one HttpRoute.</summary>
    public Task<IReadOnlyList<SignalRollup>> ReadRouteAsync(string @namespace, string route, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        ReadAsync(SignalSeriesKind.Route, (@namespace, route), from, to, ct);

    private async Task<IReadOnlyList<SignalRollup>> ReadAsync(SignalSeriesKind kind, (string Namespace, string Service)? destination,
        DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (to < from) throw new ArgumentException($"the window ends ({to:O}) before it starts ({from:O})", nameof(to));
        await using var command = database.CreateCommand($"""
            SELECT minute, source_service, source_namespace, source_version, destination_service, destination_namespace,
                destination_version, requests, failures, latency_bucket_counts
            FROM signal_rollups WHERE kind = @kind AND minute >= @from AND minute < @to
            {(destination is null ? "" : "AND destination_namespace = @namespace AND destination_service = @service")}
            ORDER BY minute
            """);
        command.Parameters.AddWithValue("kind", KindName(kind));
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        if (destination is { } only)
        {
            command.Parameters.AddWithValue("namespace", only.Namespace);
            command.Parameters.AddWithValue("service", only.Service);
        }
        var sums = new Dictionary<(DateTimeOffset, SignalSeries), (long Requests, long Failures, long[] Latency)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var key = (reader.GetFieldValue<DateTimeOffset>(0), new SignalSeries(kind, reader.GetString(1), reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)));
            var latency = reader.GetFieldValue<long[]>(9);
            sums[key] = sums.TryGetValue(key, out var sum)
                ? (sum.Requests + reader.GetInt64(7), sum.Failures + reader.GetInt64(8), AddCounts(sum.Latency, latency))
                : (reader.GetInt64(7), reader.GetInt64(8), latency);
        }
        return sums.Select(pair => new SignalRollup(pair.Key.Item1, pair.Key.Item2, pair.Value.Requests, pair.Value.Failures, pair.Value.Latency))
            .OrderBy(rollup => rollup.Minute).ToList();
    }

    public static DateTimeOffset TruncateToMinute(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static long[] AddCounts(long[] a, long[] b)
    {
        var sum = new long[Math.Max(a.Length, b.Length)];
        for (var i = 0; i < sum.Length; i++) sum[i] = (i < a.Length ? a[i] : 0) + (i < b.Length ? b[i] : 0);
        return sum;
    }

    private static string KindName(SignalSeriesKind kind) => kind switch
    {
        SignalSeriesKind.Edge => EdgeKind,
        SignalSeriesKind.ServiceVersion => ServiceVersionKind,
        SignalSeriesKind.Route => RouteKind,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown series kind"),
    };
}
