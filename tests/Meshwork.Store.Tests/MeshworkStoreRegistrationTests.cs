using Meshwork.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

public sealed class MeshworkStoreRegistrationTests
{
    [Fact]
    public async Task AddMeshworkStore_ResolvedInScope_AppliesAndReportsHealthy()
    {
        var services = new ServiceCollection().AddLogging().AddMeshworkStore(await MigratedDatabase.CreateAsync());
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        await using var scope = provider.CreateAsyncScope();

        var result = await scope.ServiceProvider.GetRequiredService<ResourceService>().ApplyAsync(Checkout(), Alice);
        var health = await scope.ServiceProvider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.IsType<ChangeResult.Applied>(result);
        Assert.Single(await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery()));
        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public async Task AddMeshworkStore_DatabaseWithoutSchema_ReportsUnhealthy()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var services = new ServiceCollection().AddLogging().AddMeshworkStore(await cluster.CreateDatabaseAsync());
        await using var provider = services.BuildServiceProvider();

        var health = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, health.Entries["postgres"].Status);
    }
}
