using Meshwork.Store;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// A join storm (every proxy's token check and join record hit PostgreSQL at once) is queued by the
/// control plane's connection pool within its budget instead of opening a connection per joining proxy,
/// the way two replicas once exhausted the server ("too many clients already").
/// </summary>
public sealed class DatabaseConnectionBudgetTests(ConnectionBudgetControlPlaneFixture fixture) : IClassFixture<ConnectionBudgetControlPlaneFixture>
{
    private const int Proxies = 40;

    [Fact]
    public async Task AJoinStorm_IsAdmittedWhole_WithinTheControlPlanesConnectionBudget()
    {
        using var sampling = new CancellationTokenSource();
        var peak = SamplePeakConnectionsAsync(sampling.Token);
        var proxies = new List<SimulatedProxy>();
        try
        {
            proxies.AddRange(await Task.WhenAll(Enumerable.Range(0, Proxies).Select(i =>
                SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, $"budget-{i}", "budget")))));
            await Task.WhenAll(proxies.Select(p => p.WaitForAsync(_ => true, TimeSpan.FromSeconds(90))));
        }
        finally
        {
            await sampling.CancelAsync();
            foreach (var proxy in proxies) await proxy.DisposeAsync();
        }

        var seen = await peak;
        // At least one: the sampler does see the control plane's connections by their application name.
        Assert.InRange(seen, 1, ConnectionBudgetControlPlaneFixture.MaxConnections);
    }

    /// <summary>The most connections the control plane held at once in its database while sampling.</summary>
    private async Task<long> SamplePeakConnectionsAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var count = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and application_name = @name", connection);
        count.Parameters.AddWithValue("name", DatabaseConnectionBudget.ControlPlane.ApplicationName);
        long peak = 0;
        while (!ct.IsCancellationRequested)
        {
            peak = Math.Max(peak, (long)(await count.ExecuteScalarAsync(CancellationToken.None))!);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return peak;
    }
}
