using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.ControlPlane.Tokens;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Tokens;

/// <summary>
/// The validator in process against a real PostgreSQL: Hellos that present the same token while it is
/// being looked up share one query, so a join storm does not queue one query per proxy on the pool.
/// The test holds bootstrap_tokens locked, so every lookup the validator starts is visible in
/// pg_stat_activity as a backend waiting for that lock.
/// </summary>
public sealed class BootstrapTokenLookupTests
{
    private const string LookupApplication = "token-lookup-tests";
    private const int Hellos = 40;

    [Fact]
    public async Task ConcurrentHellosWithOneToken_ShareOneLookup_AndAreAllAnswered()
    {
        var connectionString = await MigratedDatabase.CreateAsync();
        var token = await TestTokens.IssueAsync(connectionString);
        await using var services = new ServiceCollection()
            .AddMeshworkStore(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = LookupApplication }.ConnectionString)
            .BuildServiceProvider();
        var validator = new BootstrapTokenValidator(services.GetRequiredService<BootstrapTokenStore>(), TimeProvider.System);

        await using var locker = new NpgsqlConnection(connectionString);
        await locker.OpenAsync();
        var holdingLock = await locker.BeginTransactionAsync();
        await new NpgsqlCommand("lock table bootstrap_tokens in access exclusive mode", locker, holdingLock).ExecuteNonQueryAsync();

        var checks = Enumerable.Range(0, Hellos).Select(i => validator.ValidateAsync(token, $"svc-{i}", "default", CancellationToken.None)).ToList();
        await Eventually.HoldsAsync(async () => await WaitingLookupsAsync(connectionString) >= 1,
            "the validator's token lookup reached PostgreSQL", TimeSpan.FromSeconds(60));
        // One query per Hello would all be waiting by now: each opens its own connection as soon as it is called.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await WaitingLookupsAsync(connectionString));
        Assert.All(checks, check => Assert.False(check.IsCompleted));

        await holdingLock.RollbackAsync();
        var answered = await Task.WhenAll(checks).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(answered, check => Assert.True(check.IsValid, check.Reason));
    }

    [Fact]
    public async Task ALookupThatFailed_IsNotRemembered_TheNextHelloAsksAgain()
    {
        var connectionString = await MigratedDatabase.CreateAsync();
        var token = await TestTokens.IssueAsync(connectionString);
        // A pool that cannot answer within its timeout: the first lookup fails, as when the database is away.
        var starved = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = LookupApplication, MaxPoolSize = 1, Timeout = 1 };
        await using var services = new ServiceCollection().AddMeshworkStore(starved.ConnectionString).BuildServiceProvider();
        var validator = new BootstrapTokenValidator(services.GetRequiredService<BootstrapTokenStore>(), TimeProvider.System);
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();

        await using (await dataSource.OpenConnectionAsync())
            await Assert.ThrowsAnyAsync<Exception>(() => validator.ValidateAsync(token, "web", "default", CancellationToken.None));

        var check = await validator.ValidateAsync(token, "web", "default", CancellationToken.None);
        Assert.True(check.IsValid, check.Reason);
    }

    private static async Task<long> WaitingLookupsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where application_name = @name and wait_event_type = 'Lock'", connection);
        count.Parameters.AddWithValue("name", LookupApplication);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
