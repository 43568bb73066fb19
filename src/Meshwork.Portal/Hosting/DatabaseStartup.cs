using Meshwork.Portal.Identity;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Hosting;

/// <summary>
/// Runs before the server accepts requests: migrates the store and identity schemas (unless
/// Portal:MigrateOnStart is false, for deployments that migrate first with `Meshwork.Portal migrate`
/// and run the portal as the restricted database role), then creates
/// the roles and the first admin.
/// </summary>
internal sealed class DatabaseStartup(IServiceProvider services, IOptions<PortalOptions> options, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await DatabaseMigrations.MigrateAsync(services, cancellationToken);
            logger.LogInformation("Database migrated (store and portal identity)");
        }
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
