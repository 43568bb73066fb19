using Meshwork.Store;
using Npgsql;

namespace Meshwork.Testing.Postgres;

/// <summary>
/// Databases with the Meshwork schema applied. The migrations run once per test process into a
/// template database; every <see cref="CreateAsync"/> is a fast CREATE DATABASE ... TEMPLATE copy.
/// </summary>
public static class MigratedDatabase
{
    private const string TemplateName = "meshwork_template";
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static bool templateReady;

    /// <summary>A fresh, migrated, empty database on the shared cluster; returns its connection string.</summary>
    public static async Task<string> CreateAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        await EnsureTemplateAsync(cluster);
        // CREATE DATABASE ... TEMPLATE fails while anyone is connected to the template; copies are
        // serialized so two tests never race a connection to it.
        await TemplateLock.WaitAsync();
        try
        {
            return await cluster.CreateDatabaseAsync(TemplateName);
        }
        finally
        {
            TemplateLock.Release();
        }
    }

    /// <summary>A store session over <paramref name="connectionString"/> (each call: its own context and connection).</summary>
    public static StoreSession OpenSession(string connectionString) => StoreSession.Open(connectionString);

    private static async Task EnsureTemplateAsync(PostgresCluster cluster)
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (templateReady)
                return;
            await using (var admin = new NpgsqlConnection(cluster.ConnectionString()))
            {
                await admin.OpenAsync();
                // A template left half-made by an earlier failed attempt in this process is rebuilt.
                foreach (var sql in new[] { $"DROP DATABASE IF EXISTS \"{TemplateName}\" WITH (FORCE)", $"CREATE DATABASE \"{TemplateName}\"" })
                {
                    await using var command = new NpgsqlCommand(sql, admin);
                    await command.ExecuteNonQueryAsync();
                }
            }
            var templateConnection = cluster.ConnectionString(TemplateName);
            await using (var db = OpenSession(templateConnection))
                await new StoreMigrations(db).MigrateAsync();
            // Pooled connections to the template would block every copy.
            using (var pooled = new NpgsqlConnection(templateConnection))
                NpgsqlConnection.ClearPool(pooled);
            templateReady = true;
        }
        finally
        {
            TemplateLock.Release();
        }
    }
}
