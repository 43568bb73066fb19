using Meshwork.Testing.Postgres;
using Npgsql;

namespace Meshwork.Store.Tests;

public class PostgresClusterTests
{
    [Fact]
    public async Task CreateDatabaseAsync_ReturnsUsableRealPostgresDatabase()
    {
        var cluster = await PostgresCluster.SharedAsync();
        await using var connection = new NpgsqlConnection(await cluster.CreateDatabaseAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select current_setting('server_version_num')::int", connection);
        Assert.True((int)(await command.ExecuteScalarAsync())! >= 150000);
    }
}
