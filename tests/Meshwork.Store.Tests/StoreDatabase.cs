using Meshwork.Testing.Postgres;

namespace Meshwork.Store.Tests;

/// <summary>A freshly migrated database per test, with helpers to open contexts and services on it.</summary>
public abstract class StoreDatabase : IAsyncLifetime
{
    protected string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await MigratedDatabase.CreateAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected MeshworkDbContext OpenContext() => MigratedDatabase.OpenContext(ConnectionString);

    protected static ResourceService ServiceOver(MeshworkDbContext db) => new(db, TimeProvider.System);
}
