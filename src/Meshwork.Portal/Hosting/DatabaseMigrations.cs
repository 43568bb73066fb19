using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Portal.Hosting;

/// <summary>
/// Migrates the store and identity schemas. Run at start (Portal:MigrateOnStart) or on its own as
/// `Meshwork.Portal migrate` with the schema owner's connection string, so the portal itself can run
/// as the restricted meshwork_portal role (docs/security.md, "Database roles").
/// </summary>
public static class DatabaseMigrations
{
    public const string Command = "migrate";

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<StoreMigrations>().MigrateAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<PortalIdentityDbContext>().Database.MigrateAsync(cancellationToken);
    }
}
