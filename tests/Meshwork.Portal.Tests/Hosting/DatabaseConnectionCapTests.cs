using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Npgsql;

namespace Meshwork.Portal.Tests.Hosting;

/// <summary>
/// Portal:DatabaseMaxConnections caps the portal's one pool (store and identity context together): a burst of API
/// requests, each validating its token (identity) and reading resources (store), queues on the pool instead of opening
/// a connection per request, and every request is answered.
/// </summary>
public sealed class DatabaseConnectionCapTests : IAsyncLifetime
{
    private const int Cap = 3;
    private string connectionString = "";

    public async Task InitializeAsync() => connectionString = await MigratedDatabase.CreateAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ABurstOfApiRequests_IsServedWithinTheCap_OnConnectionsNamedAfterThePortal()
    {
        await using var portal = new PortalFactory
        {
            ConnectionString = connectionString,
            Settings = new Dictionary<string, string> { ["Portal:DatabaseMaxConnections"] = Cap.ToString() },
        };
        await ((IAsyncLifetime)portal).InitializeAsync();
        using var http = await portal.ApiClientAsync(PortalRoles.Viewer);

        using var sampling = new CancellationTokenSource();
        var mostSeen = SampleMostConnectionsAsync(sampling.Token);
        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(async _ =>
        {
            using var response = await http.GetAsync("/api/v1/services");
            return response.StatusCode;
        }));
        await sampling.CancelAsync();

        Assert.All(answers, status => Assert.Equal(System.Net.HttpStatusCode.OK, status));
        var most = await mostSeen;
        Assert.InRange(most, 1, Cap);
    }

    /// <summary>The most connections named meshwork-portal open at once on the test database while the burst runs.</summary>
    private async Task<long> SampleMostConnectionsAsync(CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", connection);
        count.Parameters.AddWithValue("name", DatabaseConnectionBudget.Portal.ApplicationName);
        long most = 0;
        while (!stop.IsCancellationRequested)
        {
            most = Math.Max(most, (long)(await count.ExecuteScalarAsync(CancellationToken.None))!);
            try { await Task.Delay(5, stop); } catch (OperationCanceledException) { }
        }
        most = Math.Max(most, (long)(await count.ExecuteScalarAsync(CancellationToken.None))!);
        return most;
    }
}
