using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Meshwork.Portal.Identity;

internal static class IdentityDatabase
{
    /// <summary>Over the portal's one data source (the store's), so both contexts draw from one capped pool.</summary>
    public static void Configure(DbContextOptionsBuilder options, NpgsqlDataSource database) =>
        options.UseNpgsql(database, npgsql =>
            npgsql.MigrationsHistoryTable(PortalIdentityDbContext.MigrationsHistoryTable, PortalIdentityDbContext.Schema));
}
