using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store;

/// <summary>
/// Brings the store's schema (tables, grants of the database roles) up to this build's migrations.
/// Run with the schema owner's connection string: the portal's `migrate` command or start-up
/// option, the control plane's ControlPlane:MigrateDatabase, tests' template database.
/// </summary>
public sealed class StoreMigrations(StoreSession session)
{
    public Task MigrateAsync(CancellationToken ct = default) => session.Context.Database.MigrateAsync(ct);
}
