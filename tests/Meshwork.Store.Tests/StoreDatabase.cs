using Meshwork.Testing.Postgres;

namespace Meshwork.Store.Tests;

/// <summary>A freshly migrated database per test, with helpers to open contexts and services on it.</summary>
public abstract class StoreDatabase : IAsyncLifetime
{
    protected string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await MigratedDatabase.CreateAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private protected MeshworkDbContext OpenContext() => MeshworkDbContext.Open(ConnectionString);

    private protected static ResourceService ServiceOver(MeshworkDbContext db) => new(new StoreSession(db), TimeProvider.System);

    /// <summary>Raw SQL as the database owner (e.g. what an owner could do past the audit trigger).</summary>
    protected async Task ExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
