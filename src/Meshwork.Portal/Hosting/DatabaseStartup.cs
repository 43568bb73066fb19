using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Hosting;

/// <summary>
/// Runs before the server accepts requests: migrates the store and identity schemas (unless
/// Portal:MigrateOnStart is false, for deployments that migrate with db/schema.sql), then creates
/// the roles and the first admin.
/// </summary>
internal sealed class DatabaseStartup(IServiceScopeFactory scopes, IOptions<PortalOptions> options, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        if (options.Value.MigrateOnStart)
        {
            await scope.ServiceProvider.GetRequiredService<MeshworkDbContext>().Database.MigrateAsync(cancellationToken);
            await scope.ServiceProvider.GetRequiredService<PortalIdentityDbContext>().Database.MigrateAsync(cancellationToken);
            logger.LogInformation("Database migrated (store and portal identity)");
        }
        await scope.ServiceProvider.GetRequiredService<AdminBootstrapper>().EnsureAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
