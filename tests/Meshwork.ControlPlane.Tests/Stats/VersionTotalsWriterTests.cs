using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.ControlPlane.Stats;
using Meshwork.ControlPlane.Status;
using Meshwork.Protocol.Mesh;
using Meshwork.Store.Registry;
using Meshwork.Store.Signals;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using ProxyStats = Meshwork.Protocol.Mesh.Stats;

namespace Meshwork.ControlPlane.Tests.Stats;

/// <summary>
/// The real writer over real PostgreSQL: a flush rewrites only the versions whose counts moved (each row's xmin
/// and written_at show whether it was touched), a failed flush is retried with nothing lost, and a new writer
/// (a restarted process) writes its rows although the counts are the same.
/// </summary>
public sealed class VersionTotalsWriterTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly StatsAggregator stats = new(TimeProvider.System);
    private NpgsqlDataSource database = null!;

    public async Task InitializeAsync() => database = NpgsqlDataSource.Create(await MigratedDatabase.CreateAsync());

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task AFlushRewritesOnlyTheVersionsWhoseCountsMoved()
    {
        Called("v1", 10);
        Called("v2", 5);
        await using var writer = await StartWriterAsync();
        var idle = await RowAsync(writer.Name, "v1", 10);
        await RowAsync(writer.Name, "v2", 5);

        // Every flush that carries v2's new count is one in which v1 stood still.
        for (var more = 1; more <= 3; more++)
        {
            Called("v2", 1);
            await RowAsync(writer.Name, "v2", 5 + more);
        }
        var stillIdle = await RowAsync(writer.Name, "v1", 10);
        Assert.Equal(idle.Xmin, stillIdle.Xmin);
        Assert.Equal(idle.WrittenAt, stillIdle.WrittenAt);

        Called("v1", 2);
        var moved = await RowAsync(writer.Name, "v1", 12);
        Assert.NotEqual(idle.Xmin, moved.Xmin);
        Assert.True(moved.WrittenAt > idle.WrittenAt, $"v1 was rewritten at {moved.WrittenAt}, not after {idle.WrittenAt}");
    }

    [Fact]
    public async Task AFailedFlushIsRetried_NothingIsLost()
    {
        Called("v1", 10);
        await using var writer = await StartWriterAsync();
        await RowAsync(writer.Name, "v1", 10);

        await ExecuteAsync("ALTER TABLE version_totals RENAME TO version_totals_away");
        var failuresBefore = writer.Failures;
        Called("v1", 5);
        await Eventually.HoldsAsync(() => Task.FromResult(writer.Failures > failuresBefore), "a flush failed while the table was away", Patience);
        await ExecuteAsync("ALTER TABLE version_totals_away RENAME TO version_totals");

        await RowAsync(writer.Name, "v1", 15);
    }

    [Fact]
    public async Task ANewWriterWritesItsRows_ThoughTheCountsDidNotMove()
    {
        Called("v1", 10);
        string first;
        await using (var writer = await StartWriterAsync())
        {
            first = writer.Name;
            await RowAsync(first, "v1", 10);
        }

        await using var restarted = await StartWriterAsync();
        Assert.NotEqual(first, restarted.Name);
        await RowAsync(restarted.Name, "v1", 10);
    }

    private void Called(string version, ulong requests) => stats.Record(new ProxyStats
    {
        Edges =
        {
            new EdgeStats
            {
                Direction = Direction.Inbound, DestinationNamespace = "default", DestinationService = "orders", DestinationVersion = version,
                Requests = requests,
            },
        },
    });

    private async Task<RunningWriter> StartWriterAsync()
    {
        var options = Options.Create(new ControlPlaneOptions { ReplicaId = "writer-test", VersionTotalsFlushInterval = TimeSpan.FromMilliseconds(200) });
        // Never started, so never leader: these tests are about the writer's own rows, not pruning.
        var leader = new LeaderElection(new LeaseStore(database), new FleetState(TimeProvider.System, NullLogger<FleetState>.Instance), options,
            NullLogger<LeaderElection>.Instance);
        var logger = new WarningCounter();
        var writer = new VersionTotalsWriter(stats, new VersionTotalsStore(database), leader, options, TimeProvider.System, logger);
        var before = await WritersAsync();
        await writer.StartAsync(CancellationToken.None);
        // The writer's name is its own (replica id plus a per-process part): the one that appears is this one's.
        string? name = null;
        await Eventually.HoldsAsync(async () => (name = (await WritersAsync()).Except(before).SingleOrDefault()) is not null,
            "the writer saved its first rows", Patience);
        return new RunningWriter(writer, logger, name!);
    }

    private async Task<IReadOnlyList<string>> WritersAsync()
    {
        await using var command = database.CreateCommand("SELECT DISTINCT writer FROM version_totals");
        var writers = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) writers.Add(reader.GetString(0));
        return writers;
    }

    /// <summary>Waits until <paramref name="writer"/>'s row for <paramref name="version"/> holds <paramref name="requests"/>.</summary>
    private async Task<SavedRow> RowAsync(string writer, string version, long requests)
    {
        SavedRow? row = null;
        await Eventually.HoldsAsync(async () =>
        {
            await using var command = database.CreateCommand(
                "SELECT requests, written_at, xmin::text FROM version_totals WHERE writer = @writer AND version = @version");
            command.Parameters.AddWithValue("writer", writer);
            command.Parameters.AddWithValue("version", version);
            await using var reader = await command.ExecuteReaderAsync();
            row = await reader.ReadAsync() ? new SavedRow(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2)) : null;
            return row?.Requests == requests;
        }, $"{writer} saved {requests} requests for {version}", Patience);
        return row!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record SavedRow(long Requests, DateTimeOffset WrittenAt, string Xmin);

    private sealed class RunningWriter(VersionTotalsWriter writer, WarningCounter warnings, string name) : IAsyncDisposable
    {
        public string Name => name;
        public int Failures => warnings.Count;

        public async ValueTask DisposeAsync()
        {
            await writer.StopAsync(CancellationToken.None);
            writer.Dispose();
        }
    }

    /// <summary>Counts the writer's warnings: it logs one for every flush that could not be saved.</summary>
    private sealed class WarningCounter : ILogger<VersionTotalsWriter>
    {
        private int count;
        public int Count => Volatile.Read(ref count);
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Interlocked.Increment(ref count);
        }
    }
}
