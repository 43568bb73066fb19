using Microsoft.EntityFrameworkCore;

namespace Meshwork.Portal.Identity;

internal static class IdentityDatabase
{
    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql =>
            npgsql.MigrationsHistoryTable(PortalIdentityDbContext.MigrationsHistoryTable, PortalIdentityDbContext.Schema));
}
